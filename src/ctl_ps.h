/*
 * ctl_ps: corehubctl's broker commands: the topics of the collection, a
 * topic's configuration, creating a topic from key=value properties, and
 * publishing to or subscribing to a topic's data, the topic named by its
 * topic-name.
 */
#ifndef COREHUB_CTL_PS_H
#define COREHUB_CTL_PS_H

#include "ctl.h"

/* topics: every topic's configuration, at most a thousand. */
int	ctl_ps_topics(struct ctl *x, struct ctl_args *a);
/* topic name: one topic's configuration. */
int	ctl_ps_topic(struct ctl *x, struct ctl_args *a);
/* create-topic name [key=value ...] */
int	ctl_ps_create_topic(struct ctl *x, struct ctl_args *a);
/* publish topic value [-f cf]: a PUT to the topic's data ("-": stdin). */
int	ctl_ps_publish(struct ctl *x, struct ctl_args *a);
/* subscribe topic: notifications until SIGINT or SIGTERM. */
int	ctl_ps_subscribe(struct ctl *x, struct ctl_args *a);

#endif
