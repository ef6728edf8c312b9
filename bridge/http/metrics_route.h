/* metrics_route: GET /metrics, the Prometheus text of metrics.h, for loopback clients, or for
 * anyone with `Authorization: Bearer $PGCHAT_METRICS_TOKEN` when that is set. */
#ifndef BRIDGE_METRICS_ROUTE_H
#define BRIDGE_METRICS_ROUTE_H

#include "core/config.h"
#include "protocol/http_server.h"

/* Registers "/metrics" on server; config must outlive it. 0 or -1. */
int metrics_attach(http_server *server, const struct config *config);

#endif
