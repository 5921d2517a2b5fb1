import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Lets /health report "shutting down" so a load balancer stops sending work first. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  stopping = false;

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }
}
