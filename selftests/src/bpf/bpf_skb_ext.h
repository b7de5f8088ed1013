/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the BPF programs (src/bpf/common.bpf.h, tests/vm/<area>.bpf.c) and
 * the Rust tests, which see these structs through the skeletons generated
 * by libbpf-cargo.
 */
#ifndef BPF_SKB_EXT_SELFTEST_H
#define BPF_SKB_EXT_SELFTEST_H

/* Bytes the tests write: the whole buffer of the default configuration. */
#define TAG_SIZE 64
/* First four bytes of every tag. */
#define TAG_MAGIC 0x5eb7a9c1u

/* How do_write() writes a tag (cfg_write_mode). */
#define WRITE_DYNPTR 0		/* bpf_dynptr_write() */
#define WRITE_SLICE 1		/* bpf_dynptr_slice_rdwr(), byte by byte */
#define WRITE_MEMSET 2		/* bpf_dynptr_memset() attaches, then write */
#define WRITE_PROBE_READ 3	/* bpf_probe_read_kernel_dynptr() of the tag */

/* Packet identity in a tag (bytes 8-11): the first four bytes of a UDP
 * payload (the tests' senders number their datagrams there), the sequence
 * number of a TCP segment. A GSO segment's sequence number lies within
 * PKT_ID_GSO_SPAN of its tag's.
 */
#define PKT_ID_GSO_SPAN 65536

/* tc_clone_write rewrites the original's tag with seq + SEQ_REWRITE. */
#define SEQ_REWRITE 1000000

/* What one hook saw. All counters count packets that matched cfg_port. */
struct hook_stats {
	__u64 seen;		/* matched packets */
	__u64 dynptr_err;	/* bpf_dynptr_from_skb_meta() failed */
	__u64 written;		/* tag written */
	__u64 write_err;	/* write failed */
	__u64 read_ok;		/* a well-formed tag (magic, all 64 bytes) */
	__u64 read_zero;	/* all zeros: no tag */
	__u64 read_bad;		/* anything else */
	__u64 gso;		/* packets with gso_segs > 1 */
	__u64 seq_high;		/* well-formed tags with seq >= SEQ_REWRITE */
	__u64 err_null;		/* dynptr was null after a failed create */
	__u64 id_ok;		/* read_ok, and the tag's packet identity is this packet's */
	__u64 id_within;	/* read_ok on a TCP segment of the packet the tag was written on (GSO) */
	__u64 id_bad;		/* read_ok, but the tag was written on another packet */
	__s64 last_err;		/* last error code seen */
	__u32 last_seq;		/* sequence number in the last tag read */
	__u8 last_tag[TAG_SIZE];/* the last tag read */
};

/* Packets that carry another skb extension (tc_other_ext_*). */
struct other_ext_stats {
	__u64 seen;		/* matched packets */
	__u64 other;		/* carrying MPTCP's extension */
	__u64 ours_only;	/* carrying ours and no other */
	__u64 none;		/* carrying none */
	__u64 noent;		/* the kfunc with NOENT said -ENOENT */
	__u64 noent_with_other;	/* ... on a packet carrying MPTCP's */
	__u64 tagged;		/* a well-formed tag */
};

/* Results of the bad-input checks (tc_bad_input), first matched packet. */
struct bad_input {
	__u32 done;
	__s32 bad_flags_ret;	/* flags = 1 << 1 */
	__u32 bad_flags_null;	/* dynptr null after that */
	__s32 all_flags_ret;	/* flags = ~0 */
	__u64 size;		/* bpf_dynptr_size() */
	__u32 rdonly;		/* bpf_dynptr_is_rdonly() */
	__s32 read_past_ret;	/* read 8 bytes at size - 4 */
	__s32 read_off_ret;	/* read 1 byte at size */
	__s32 write_past_ret;	/* write 8 bytes at size - 4 */
	__s32 write_huge_ret;	/* write 1 byte at offset 1 << 40 */
	__u32 slice_past_null;	/* read-only slice of 8 at size - 4 */
	__u32 slice_rdwr_past_null;
	__s32 write_ok_ret;	/* in-bounds write of 8 bytes at size - 8 */
	__u32 read_back_ok;	/* and it reads back */
	__u32 zero_before_write;/* the buffer read as zeros before the write */
	__u32 untagged_slice_null;	/* no buffer: slice without bounce is NULL */
	__u32 untagged_slice_copy;	/* ... and with one, zeros in it */
	__s32 write_flags_ret;	/* in-bounds write with flags = 1 */
	__s32 read_flags_ret;	/* in-bounds read with flags = 1 */
};

/* Read-only slices taken by tc_clone_write around bpf_clone_redirect():
 * where they point and what they read.
 */
struct clone_slices {
	__u32 alone_in_place;	/* before the clone: into the buffer itself */
	__u32 shared_copy;	/* clone alive: a copy in the bounce buffer */
	__u32 shared_tag_ok;	/* ... holding the packet's whole tag */
	__u32 unshared_in_place;	/* after the rewrite: the new buffer */
	__u32 unshared_tag_ok;	/* ... with the rewritten sequence */
};

/* A tagged packet's drop, seen by tp_btf/kfree_skb (trace_tagged_drops). */
#define DROP_LOG_LEN 8
struct drop_record {
	__u32 seq;		/* sequence number in its tag */
	__u32 reason;		/* enum skb_drop_reason */
};

/* Bad flags in one program type (bad_flags_check()), from one run. */
struct bad_flags_result {
	__u32 runs;
	__s32 bit1_ret;		/* flags = 1 << 1 */
	__u32 bit1_null;	/* dynptr null after that */
	__s32 all_ret;		/* flags = ~0 */
	__u32 all_null;
	__s32 ext_and_bit_ret;	/* BPF_DYNPTR_SKB_EXT_F | 1 << 5 */
	__u32 ext_and_bit_null;
	__s32 ext_ret;		/* BPF_DYNPTR_SKB_EXT_F alone, afterwards: still works */
};

#endif
