/* dev_fence.c: per-device error classes, and fencing a device that fails with EIO too often. */
#include <config.h>
#include <errno.h>
#include "../core/log.h"
#include "dev.h"
#include "dev_int.h"

static unsigned fence_pct = 10;

void mog_dev_set_fence(unsigned pct)
{
	fence_pct = pct;
}

/* Count a finished request's errno (0: none) in its class. */
static void count_error(struct mog_dev_metrics *m, int err)
{
	switch (err) {
	case 0:
	case ENOENT:		/* a missing file is an answer, not a disk error */
	case ENOTDIR:
	case EAGAIN:
	case ETIMEDOUT:
		return;
	case EIO:
		m->errors[0]++;
		break;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		m->errors[1]++;
		break;
	case EACCES:
	case EPERM:
	case ELOOP:
	case EXDEV:
		m->errors[2]++;
		break;
	default:
		m->errors[3]++;
		break;
	}
}

void mog_dev_account(struct mog_dev *dev, int err)
{
	if (dev == NULL)
		return;
	count_error(&dev->metrics, err);
	dev->win_ops[dev->win_pos]++;
	if (err == EIO)
		dev->win_eio[dev->win_pos]++;
}

/* Every 10 s: is EIO above fence_pct of at least 20 requests over 5 minutes? */
void mog_dev_fence_check(struct mog_dev *dev)
{
	unsigned long ops = 0, eio = 0;
	bool failing;
	unsigned i;

	for (i = 0; i < 30; i++) {
		ops += dev->win_ops[i];
		eio += dev->win_eio[i];
	}
	failing = fence_pct > 0 && ops >= 20 && eio * 100 > ops * fence_pct;
	if (failing != dev->failing) {
		dev->failing = failing;
		if (failing)
			mog_log(LOG_ERR, "dev%u: %lu of %lu requests failed with EIO in 5 minutes: "
				"marked failing (usage reports it full)", dev->devid, eio, ops);
		else
			mog_log(LOG_WARNING, "dev%u: EIO rate back below %u%%: no longer failing",
				dev->devid, fence_pct);
		mog_dev_usage_refresh();
	}
	dev->win_pos = (dev->win_pos + 1) % 30;
	dev->win_ops[dev->win_pos] = dev->win_eio[dev->win_pos] = 0;
}
