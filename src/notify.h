/*
 * notify: readiness for the service manager (sd_notify(3)) when built with
 * libsystemd; silent otherwise and when not started by systemd.
 */
#ifndef COREHUB_NOTIFY_H
#define COREHUB_NOTIFY_H

void	notify_ready(void);
void	notify_reloading(void);
void	notify_stopping(void);

#endif
