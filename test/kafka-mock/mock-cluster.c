/*
 * Starts a librdkafka mock cluster (real Kafka wire protocol on 127.0.0.1),
 * prints "BOOTSTRAP <host:port,...>" on stdout, then serves until stdin closes
 * (so it dies with the test process that started it) or SIGTERM/SIGINT arrives.
 *
 * Commands read from stdin, one per line, let tests simulate outages:
 *   down       all brokers go down (connections refused/closed)
 *   up         all brokers come back
 *   refuse-produce  the next Produce request fails as a whole (MESSAGE_TOO_LARGE, not retriable)
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "conf: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  /* No SA_RESTART: a signal interrupts the blocking read of stdin so the loop can end. */
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[128];
  while (!stop && fgets(line, sizeof line, stdin)) {
    int up = strncmp(line, "up", 2) == 0;
    if (up || strncmp(line, "down", 4) == 0) {
      for (int id = 1; id <= brokers; id++) {
        if (up) rd_kafka_mock_broker_set_up(mc, id);
        else rd_kafka_mock_broker_set_down(mc, id);
      }
      printf("OK %s\n", up ? "up" : "down");
      fflush(stdout);
    } else if (strncmp(line, "refuse-produce", 14) == 0) {
      rd_kafka_mock_push_request_errors(mc, 0 /* ApiKey Produce */, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
      printf("OK refuse-produce\n");
      fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
