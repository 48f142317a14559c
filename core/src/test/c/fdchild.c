/*
 * fdchild - a privilege-separated child as OpenBSD's daemons start them: its imsg socket is at a
 * descriptor (argv[1], default 3) left there by the parent, nothing else is open but stdio.
 * Built by ChildProcessTest against ../shared/cpeer's imsg, both generations (-DIMSG_GEN_CURRENT or
 * -DIMSG_GEN_CLASSIC), with -include compat.h as cpeer's Makefile does.
 *
 * Type 1: answered with type 2 and the same payload.
 * Type 3 with a descriptor: the descriptor is sent back with type 4 (its ownership passes back).
 * Type 5: answered with type 6 and, as payload, the descriptors this process has open ("0 1 2 3").
 * Type 7 with a u32 N: sends N messages of type 8 (payload: their index, u32), flushes, then SIGKILLs itself.
 * Type 9: exits with status 7.  End of stream: exits 0.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#if defined(IMSG_GEN_CURRENT)
#define IB_INIT(ib, fd)	(imsgbuf_init((ib), (fd)) == 0 ? (imsgbuf_allow_fdpass(ib), 0) : -1)
#define IB_READ(ib)	imsgbuf_read(ib)
#define IM_FD(im)	imsg_get_fd(im)
#define IM_LEN(im)	imsg_get_len(im)
#else
static int
ib_init(struct imsgbuf *ib, int fd)
{
	imsg_init(ib, fd);
	return 0;
}
static int
ib_read(struct imsgbuf *ib)
{
	ssize_t n = imsg_read(ib);
	if (n == -1)
		return (errno == EAGAIN ? 1 : -1);
	return (n == 0 ? 0 : 1);
}
static int
im_fd(struct imsg *im)
{
	int fd = im->fd;
	im->fd = -1;
	return fd;
}
#define IB_INIT(ib, fd)	ib_init((ib), (fd))
#define IB_READ(ib)	ib_read(ib)
#define IM_FD(im)	im_fd(im)
#define IM_LEN(im)	((size_t)((im)->hdr.len - IMSG_HEADER_SIZE))
#endif

static void
open_fds(char *out, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = dirfd(d);

	out[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		if (out[0] != '\0')
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, e->d_name, len - strlen(out) - 1);
	}
	closedir(d);
}

int
main(int argc, char *argv[])
{
	struct imsgbuf ib;
	struct imsg im;
	int fd = (argc > 1) ? atoi(argv[1]) : 3;
	char fds[256];
	ssize_t n;

	if (IB_INIT(&ib, fd) == -1)
		return 2;
	for (;;) {
		switch (IB_READ(&ib)) {
		case -1:
			return 3;
		case 0:
			return 0;
		}
		while ((n = imsg_get(&ib, &im)) > 0) {
			switch (im.hdr.type) {
			case 1:
				imsg_compose(&ib, 2, 0, 0, -1, im.data, IM_LEN(&im));
				break;
			case 3:
				imsg_compose(&ib, 4, 0, 0, IM_FD(&im), NULL, 0);
				break;
			case 5:
				open_fds(fds, sizeof(fds));
				imsg_compose(&ib, 6, 0, 0, -1, fds, strlen(fds));
				break;
			case 7: {
				uint32_t n, i;

				memcpy(&n, im.data, sizeof(n));
				for (i = 0; i < n; i++)
					imsg_compose(&ib, 8, 0, 0, -1, &i, sizeof(i));
#if defined(IMSG_GEN_CURRENT)
				imsgbuf_flush(&ib);
#else
				imsg_flush(&ib);
#endif
				kill(getpid(), SIGKILL);
				break;
			}
			case 9:
				exit(7);
			}
			imsg_free(&im);
		}
		if (n == -1)
			return 4;
#if defined(IMSG_GEN_CURRENT)
		if (imsgbuf_flush(&ib) == -1)
#else
		if (imsg_flush(&ib) == -1)
#endif
			return 5;
	}
}
