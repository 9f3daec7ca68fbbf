/* Reference-counted configurations (see live_config.h). */
#include "core/live_config.h"

#include <stdlib.h>

struct live_ref {
	struct config *cfg;
	unsigned refs;                /* the current one holds one itself */
	struct live_ref *next;
};

static struct live_ref *find(struct live_config *lc, const struct config *cfg)
{
	for (struct live_ref *r = lc->refs; r; r = r->next)
		if (r->cfg == cfg)
			return r;
	return NULL;
}

static void track(struct live_config *lc, struct config *cfg)
{
	struct live_ref *r = calloc(1, sizeof(*r));

	if (!r)
		abort(); /* a few bytes at a reload: nothing sensible is left to do */
	*r = (struct live_ref){ .cfg = cfg, .refs = 1, .next = lc->refs };
	lc->refs = r;
	lc->cur = cfg;
}

/* Drops one reference; the last one frees. Called with the lock held. */
static void unref(struct live_config *lc, struct live_ref *r)
{
	if (--r->refs > 0)
		return;
	for (struct live_ref **pp = &lc->refs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	config_free(r->cfg);
	free(r);
}

void live_config_init(struct live_config *lc, struct config *cfg)
{
	pthread_mutex_init(&lc->lock, NULL);
	lc->refs = NULL;
	track(lc, cfg);
}

void live_config_destroy(struct live_config *lc)
{
	while (lc->refs) {
		struct live_ref *r = lc->refs;
		lc->refs = r->next;
		config_free(r->cfg);
		free(r);
	}
	lc->cur = NULL;
	pthread_mutex_destroy(&lc->lock);
}

const struct config *live_config_get(struct live_config *lc)
{
	struct config *cfg;

	pthread_mutex_lock(&lc->lock);
	cfg = lc->cur;
	find(lc, cfg)->refs++;
	pthread_mutex_unlock(&lc->lock);
	return cfg;
}

void live_config_put(struct live_config *lc, const struct config *cfg)
{
	pthread_mutex_lock(&lc->lock);
	unref(lc, find(lc, cfg));
	pthread_mutex_unlock(&lc->lock);
}

void live_config_swap(struct live_config *lc, struct config *cfg)
{
	pthread_mutex_lock(&lc->lock);
	struct live_ref *old = find(lc, lc->cur);
	track(lc, cfg);
	unref(lc, old);
	pthread_mutex_unlock(&lc->lock);
}
