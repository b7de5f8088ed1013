// SPDX-License-Identifier: GPL-2.0
/* Benchmark variants: the same writer/reader pair keeps 64 bytes per packet
 * in (0) nothing but a per-CPU scratch slot, (1) the skb extension through
 * bpf_dynptr_write()/bpf_dynptr_read() copies, (6) the same through slices,
 * built and checked in place, (2) a preallocated hash map keyed by the skb
 * pointer, (3) the same with an LRU hash, (4) XDP data_meta.
 * The map variants delete their entry from the consume_skb and kfree_skb
 * tracepoints, as suggested upstream. `mode` picks the variant at runtime,
 * so all variants run the same programs and the same traffic.
 *
 * The baseline does all the per-packet work but keeping the tag with the
 * packet: it builds the tag, keeps it in a per-CPU slot (writer and reader
 * run on one CPU, inside the sender's system call), reads it back and checks
 * it. "Over baseline" is then the storage cost alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "bpf_skb_ext.h"
#include "tag.bpf.h"
#include "kfuncs.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800

enum { MODE_BASELINE, MODE_EXT, MODE_HASH, MODE_LRU, MODE_META,
       MODE_EXT_SLICE = 6 };

/* 8-aligned, like a map value and the extension's buffer: the baseline's
 * copies into and out of its per-CPU slot are then eight 8-byte moves, not
 * byte-by-byte shuffles that would make the baseline dearer than the work
 * it stands for.
 */
struct tag { __u8 b[TAG_SIZE]; } __attribute__((aligned(8)));

/* max_entries is set by the benchmark before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct tag);
} stash_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tag);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct tag);
} stash_lru SEC(".maps");

__u32 mode;
__u32 tag_every;	/* tag one packet in tag_every (0, 1: all) */
__u16 cfg_port;

struct bench_stats {
	__u64 seen_w, written, write_fail;
	__u64 seen_r, read_ok, read_bad, read_miss;
	__u64 deleted, tp_calls;
} st;

/* UDP to cfg_port over IPv4 (no options), IP header at @l3. */
static __always_inline bool ours(struct __sk_buff *skb, __u32 l3)
{
	__u16 dport;
	__u8 proto;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return false;
	if (bpf_skb_load_bytes(skb, l3 + 9, &proto, 1) || proto != 17)
		return false;
	if (bpf_skb_load_bytes(skb, l3 + 22, &dport, 2))
		return false;
	return bpf_ntohs(dport) == cfg_port;
}

/* Writer: tc egress of the sender's veth. */
SEC("tc")
int bench_write(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	struct tag t, *slot;
	__u32 zero = 0;
	__u8 *p;
	__u64 key;
	__u32 n;

	/* data_meta has its writer in XDP on the receiver */
	if (mode == MODE_META || !ours(skb, ETH_HLEN))
		return 0;
	n = st.seen_w++;
	if (tag_every > 1 && n % tag_every)
		return 0;
	if (mode == MODE_EXT_SLICE) {
		/* in place, as data_meta's writer does */
		if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &d))
			goto fail;
		p = bpf_dynptr_slice_rdwr(&d, 0, NULL, TAG_SIZE);
		if (!p)
			goto fail;
		/* the buffer is 8-aligned, as the tag the other variants
		 * build on the stack
		 */
		make_tag(__builtin_assume_aligned(p, 8), n, 0);
		st.written++;
		return 0;
	}
	make_tag(t.b, n, 0);
	switch (mode) {
	case MODE_EXT:
		if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &d) ||
		    bpf_dynptr_write(&d, 0, t.b, TAG_SIZE, 0))
			goto fail;
		break;
	case MODE_HASH:
		key = (__u64)(long)skb;
		if (bpf_map_update_elem(&stash_hash, &key, &t, BPF_ANY))
			goto fail;
		break;
	case MODE_LRU:
		key = (__u64)(long)skb;
		if (bpf_map_update_elem(&stash_lru, &key, &t, BPF_ANY))
			goto fail;
		break;
	default:
		/* baseline: the tag is built and parked, not kept */
		slot = bpf_map_lookup_elem(&scratch, &zero);
		if (!slot)
			goto fail;
		*slot = t;
		break;
	}
	st.written++;
	return 0;
fail:
	st.write_fail++;
	return 0;
}

/* Every variant checks its tag through a pointer in a register. The copies'
 * tag is on the stack, and clang reaches a stack buffer byte by byte as
 * r10 + offset + index, one instruction per byte more than through a
 * register: ~116 instructions per packet of the check's own work (measured
 * 2026-12-06), which is the same work in every variant, not storage cost.
 */
static __always_inline void count_read(const __u8 *t)
{
	__u32 seq, id;
	int r;

	barrier_var(t);
	r = check_tag(t, &seq, &id);

	if (r > 0)
		st.read_ok++;
	else if (r < 0)
		st.read_bad++;
	else
		st.read_miss++;
}

/* Reader: cgroup_skb ingress of the receiver. */
SEC("cgroup_skb/ingress")
int bench_read(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	struct tag t = {};
	__u32 zero = 0;
	struct tag *v;
	__u8 *p;
	__u64 key;

	if (!ours(skb, 0))
		return 1;
	st.seen_r++;
	switch (mode) {
	case MODE_EXT_SLICE:
		/* in place, as a map value behind a lookup. An untagged
		 * packet fails at once (NOENT), as a lookup misses.
		 */
		if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F |
					     BPF_DYNPTR_SKB_EXT_NOENT_F, &d)) {
			st.read_miss++;
			break;
		}
		p = bpf_dynptr_slice(&d, 0, t.b, TAG_SIZE);
		if (p)
			count_read(p);
		break;
	case MODE_EXT:
		if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F |
					     BPF_DYNPTR_SKB_EXT_NOENT_F, &d)) {
			st.read_miss++;
			break;
		}
		if (bpf_dynptr_read(t.b, TAG_SIZE, &d, 0, 0))
			break;
		count_read(t.b);
		break;
	case MODE_HASH:
	case MODE_LRU:
		key = (__u64)(long)skb;
		v = bpf_map_lookup_elem(mode == MODE_HASH ? (void *)&stash_hash
							  : (void *)&stash_lru, &key);
		if (v)
			count_read(v->b);
		else
			st.read_miss++;
		break;
	default:
		/* baseline: the tag back from the per-CPU slot, checked */
		v = bpf_map_lookup_elem(&scratch, &zero);
		if (!v)
			break;
		/* in place, as the hash variant checks its map value */
		count_read(v->b);
		/* an untagged packet of the 1% run must not read it again */
		*v = (struct tag){};
		break;
	}
	return 1;
}

static __always_inline void forget(struct sk_buff *skb)
{
	__u64 key = (__u64)(long)skb;

	st.tp_calls++;
	if (mode == MODE_HASH) {
		if (!bpf_map_delete_elem(&stash_hash, &key))
			st.deleted++;
	} else if (mode == MODE_LRU) {
		if (!bpf_map_delete_elem(&stash_lru, &key))
			st.deleted++;
	}
}

/* Cleanup for the map variants: runs for every skb freed, tagged or not. */
SEC("tp_btf/consume_skb")
int BPF_PROG(bench_consume, struct sk_buff *skb)
{
	forget(skb);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_kfree, struct sk_buff *skb)
{
	forget(skb);
	return 0;
}

/* The same cleanup hooked where every skb free passes, including the
 * paths that fire neither tracepoint (UDP's skb_attempt_defer_free()).
 */
SEC("fentry/skb_release_head_state")
int BPF_PROG(bench_release, struct sk_buff *skb)
{
	forget(skb);
	return 0;
}

/* data_meta variant: XDP on the receiver writes, tc ingress reads. */
SEC("xdp")
int bench_xdp_write(struct xdp_md *ctx)
{
	void *data, *data_end, *meta;
	__u32 n;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + ETH_HLEN + 24 > data_end)
		return XDP_PASS;
	if (*(__u16 *)(data + 12) != bpf_htons(ETH_P_IP) || *(__u8 *)(data + ETH_HLEN + 9) != 17 ||
	    *(__u16 *)(data + ETH_HLEN + 22) != bpf_htons(cfg_port))
		return XDP_PASS;
	n = st.seen_w++;
	if (tag_every > 1 && n % tag_every)
		return XDP_PASS;
	if (bpf_xdp_adjust_meta(ctx, -TAG_SIZE)) {
		st.write_fail++;
		return XDP_PASS;
	}
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (meta + TAG_SIZE > data)
		return XDP_PASS;
	make_tag(meta, n, 0);
	st.written++;
	return XDP_PASS;
}

SEC("tc")
int bench_meta_read(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	struct tag t = {};

	if (!ours(skb, ETH_HLEN))
		return 0;
	st.seen_r++;
	if (bpf_dynptr_from_skb_meta(skb, 0, &d) ||
	    bpf_dynptr_read(t.b, TAG_SIZE, &d, 0, 0)) {
		st.read_miss++;
		return 0;
	}
	count_read(t.b);
	return 0;
}

char _license[] SEC("license") = "GPL";
