/* SPDX-License-Identifier: GPL-2.0 */
/* The tag the BPF programs write and check: TAG_MAGIC, a sequence number,
 * the identity of the packet it was written on (PKT_ID_* in bpf_skb_ext.h),
 * and 52 bytes derived from the identity. The sequence number alone can be
 * rewritten (bytes 4-7): the tag stays well-formed only if the other 60
 * bytes were kept. BPF side only (needs __always_inline).
 */
#ifndef BPF_SKB_EXT_TAG_BPF_H
#define BPF_SKB_EXT_TAG_BPF_H

#include "bpf_skb_ext.h"

static __always_inline __u8 tag_byte(__u32 id, int i)
{
	return (__u8)(id * 13 + (id >> 8) * 29 + (id >> 16) * 31 + (id >> 24) * 37 + i * 7 + 0x5b);
}

static __always_inline void make_tag(__u8 *tag, __u32 seq, __u32 id)
{
	__u32 magic = TAG_MAGIC;
	int i;

	__builtin_memcpy(tag, &magic, 4);
	__builtin_memcpy(tag + 4, &seq, 4);
	__builtin_memcpy(tag + 8, &id, 4);
	for (i = 12; i < TAG_SIZE; i++)
		tag[i] = tag_byte(id, i);
}

/* 1: a well-formed tag (its sequence in *seq, the packet identity in *id),
 * 0: all zeros, -1: anything else.
 */
static __always_inline int check_tag(const __u8 *tag, __u32 *seq, __u32 *id)
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
	__builtin_memcpy(id, tag + 8, 4);
	if (magic != TAG_MAGIC)
		return -1;
	for (i = 12; i < TAG_SIZE; i++)
		if (tag[i] != tag_byte(*id, i))
			return -1;
	return 1;
}

#endif
