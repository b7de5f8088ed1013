/* SPDX-License-Identifier: GPL-2.0 */
/* The tag the BPF programs write and check: TAG_MAGIC, a sequence number,
 * and 56 bytes derived from it. BPF side only (needs __always_inline).
 */
#ifndef SKB_META_TAG_BPF_H
#define SKB_META_TAG_BPF_H

#include "skb_meta.h"

static __always_inline void make_tag(__u8 *tag, __u32 seq)
{
	__u32 magic = TAG_MAGIC;
	int i;

	__builtin_memcpy(tag, &magic, 4);
	__builtin_memcpy(tag + 4, &seq, 4);
	for (i = 8; i < TAG_SIZE; i++)
		tag[i] = (__u8)(seq * 31 + i * 7);
}

/* 1: a well-formed tag (its sequence in *seq), 0: all zeros, -1: anything else. */
static __always_inline int check_tag(const __u8 *tag, __u32 *seq)
{
	__u32 magic;
	int i, zero = 1;

	for (i = 0; i < TAG_SIZE; i++)
		if (tag[i])
			zero = 0;
	if (zero)
		return 0;
	__builtin_memcpy(&magic, tag, 4);
	__builtin_memcpy(seq, tag + 4, 4);
	if (magic != TAG_MAGIC)
		return -1;
	for (i = 8; i < TAG_SIZE; i++)
		if (tag[i] != (__u8)(*seq * 31 + i * 7))
			return -1;
	return 1;
}

#endif
