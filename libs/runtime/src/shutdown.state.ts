import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Lets /health/ready report "shutting down" so a load balancer stops sending work first. The
 * signal handler sets it before anything stops (see runApp); Nest's first shutdown hook sets it
 * for any other close.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy {
  stopping = false;

  begin(): void {
    this.stopping = true;
  }

  onModuleDestroy(): void {
    this.begin();
  }
}
