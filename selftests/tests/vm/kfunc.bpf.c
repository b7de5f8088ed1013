// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/kfunc.rs: the kfunc itself, flags == 0, bad
 * input and bad flags in every program type, the XDP metadata path,
 * NOENT, a kernel writer.
 *
 * Built into an object and a skeleton of its own (build.rs), on
 * src/bpf/common.bpf.h: the helpers, results and programs that every
 * area shares. The tests of this area load from this object only.
 */
#include "common.bpf.h"

/* flags == 0 outside tc: the XDP metadata area is not offered. */
SEC("cgroup_skb/ingress")
int cg_flags0(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;

	if (!match_port(skb, 0))
		return 1;
	cg_flags0_ret = bpf_dynptr_from_skb_meta(skb, 0, &meta);
	cg_flags0_null = bool_u32(bpf_dynptr_is_null(&meta));
	return 1;
}

/* The runtime errors of bad input, on the first matched packet. */
SEC("tc")
int tc_bad_input(struct __sk_buff *skb)
{
	__u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, rd[8] = {};
	struct bpf_dynptr meta;
	__u64 size;
	int i;

	if (!match_port(skb, ETH_HLEN) || bad.done)
		return 0;
	bad.done = 1;

	bad.bad_flags_ret = bpf_dynptr_from_skb_meta(skb, 1 << 1, &meta);
	bad.bad_flags_null = bool_u32(bpf_dynptr_is_null(&meta));
	bad.all_flags_ret = bpf_dynptr_from_skb_meta(skb, ~0ULL, &meta);

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	size = bpf_dynptr_size(&meta);
	bad.size = size;
	bad.rdonly = bool_u32(bpf_dynptr_is_rdonly(&meta));

	/* No buffer yet: a read-only slice is a copy in our buffer, or
	 * nothing; never a pointer to memory that is not this packet's.
	 */
	bad.untagged_slice_null = !bpf_dynptr_slice(&meta, 0, NULL, 8);
	__builtin_memset(rd, 0xee, sizeof(rd));
	bad.untagged_slice_copy = bpf_dynptr_slice(&meta, 0, rd, 8) == (void *)rd &&
				  !rd[0] && !rd[7];

	bad.read_past_ret = bpf_dynptr_read(rd, 8, &meta, size - 4, 0);
	bad.read_off_ret = bpf_dynptr_read(rd, 1, &meta, size, 0);
	bad.write_past_ret = bpf_dynptr_write(&meta, size - 4, buf, 8, 0);
	bad.write_huge_ret = bpf_dynptr_write(&meta, 1ULL << 40, buf, 1, 0);
	bad.slice_past_null = !bpf_dynptr_slice(&meta, size - 4, rd, 8);
	bad.slice_rdwr_past_null = !bpf_dynptr_slice_rdwr(&meta, size - 4, rd, 8);

	/* Flags the extension does not know: refused, nothing attached. */
	bad.write_flags_ret = bpf_dynptr_write(&meta, 0, buf, 8, 1);
	bad.read_flags_ret = bpf_dynptr_read(rd, 8, &meta, 0, 1);

	/* Nothing written so far: reads are zeros. */
	bad.zero_before_write = 1;
	if (bpf_dynptr_read(rd, 8, &meta, 0, 0))
		bad.zero_before_write = 0;
	for (i = 0; i < 8; i++)
		if (rd[i])
			bad.zero_before_write = 0;

	bad.write_ok_ret = bpf_dynptr_write(&meta, size - 8, buf, 8, 0);
	if (!bpf_dynptr_read(rd, 8, &meta, size - 8, 0)) {
		bad.read_back_ok = 1;
		for (i = 0; i < 8; i++)
			if (rd[i] != buf[i])
				bad.read_back_ok = 0;
	}
	return 0;
}

/* flags == 0: the XDP metadata area, written by xdp_meta_write. */
SEC("xdp")
int xdp_meta_write(struct xdp_md *ctx)
{
	__u32 *meta;
	void *data;

	xdp_meta_ret = bpf_xdp_adjust_meta(ctx, -4);
	if (xdp_meta_ret)
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return XDP_PASS;
	*meta = TAG_MAGIC;
	return XDP_PASS;
}

SEC("tc")
int tc_meta_read(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u32 magic = 0;
	int err;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	meta_stats.seen++;
	err = bpf_dynptr_from_skb_meta(skb, 0, &meta);
	if (err) {
		meta_stats.dynptr_err++;
		meta_stats.last_err = err;
		return 0;
	}
	err = bpf_dynptr_read(&magic, 4, &meta, 0, 0);
	if (err) {
		meta_stats.read_bad++;
		meta_stats.last_err = err;
	} else if (magic == TAG_MAGIC && bpf_dynptr_size(&meta) == 4) {
		meta_stats.read_ok++;
	} else {
		meta_stats.read_bad++;
	}
	return 0;
}

/* A kernel writer through __bpf_dynptr_data_rw(): bpf_crypto_encrypt() with
 * the extension as its destination. On an untagged packet the kfunc must be
 * given the packet's own, newly attached buffer (it used to be a shared,
 * read-only page of zeros). AES-128-ECB, all-zero key, 16 zero bytes.
 */
struct crypto_ctx_value {
	struct bpf_crypto_ctx __kptr * ctx;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct crypto_ctx_value);
} crypto_ctx_map SEC(".maps");

__u8 crypto_plain[16];
__u32 crypto_setup_done;
__s32 crypto_setup_err;
__u32 crypto_done;		/* bpf_crypto_encrypt() ran, on the first packet */
__s32 crypto_ret;
__u8 crypto_out[TAG_SIZE];	/* the extension after it */

SEC("?syscall")
int crypto_setup(void *ctx)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.algo = "ecb(aes)",
		.key_len = 16,
	};
	struct crypto_ctx_value *v;
	struct bpf_crypto_ctx *cctx;
	__u32 zero = 0;
	int err = 0;

	crypto_setup_done = 1;
	cctx = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (!cctx) {
		crypto_setup_err = err ? err : -1;
		return 0;
	}
	v = bpf_map_lookup_elem(&crypto_ctx_map, &zero);
	if (!v) {
		bpf_crypto_ctx_release(cctx);
		crypto_setup_err = -2;
		return 0;
	}
	cctx = bpf_kptr_xchg(&v->ctx, cctx);
	if (cctx)
		bpf_crypto_ctx_release(cctx);
	crypto_setup_err = 0;
	return 0;
}

SEC("?tc")
int tc_crypto_into_ext(struct __sk_buff *skb)
{
	struct bpf_dynptr meta, src;
	struct crypto_ctx_value *v;
	struct bpf_crypto_ctx *cctx;
	__u32 zero = 0;

	if (!match_port(skb, ETH_HLEN) || crypto_done)
		return 0;
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	bpf_dynptr_from_mem(crypto_plain, sizeof(crypto_plain), 0, &src);
	v = bpf_map_lookup_elem(&crypto_ctx_map, &zero);
	if (!v)
		return 0;
	bpf_rcu_read_lock();
	cctx = v->ctx;
	if (cctx) {
		crypto_ret = bpf_crypto_encrypt(cctx, &src, &meta, NULL);
		crypto_done = 1;
	}
	bpf_rcu_read_unlock();
	bpf_dynptr_read(crypto_out, TAG_SIZE, &meta, 0, 0);
	return 0;
}

/* ---- Programs the verifier must reject (not loaded by default) ---- */

/* Bad flags, in every program type that has the kfunc (run with
 * BPF_PROG_TEST_RUN): -EINVAL and a null dynptr, and the next call with
 * the right flag still works.
 */
static __always_inline void bad_flags_check(struct __sk_buff *skb,
					    struct bad_flags_result *r)
{
	struct bpf_dynptr meta;

	r->runs++;
	r->bit1_ret = bpf_dynptr_from_skb_meta(skb, 1 << 1, &meta);
	r->bit1_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->all_ret = bpf_dynptr_from_skb_meta(skb, ~0ULL, &meta);
	r->all_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->ext_and_bit_ret = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F | 1 << 5,
						      &meta);
	r->ext_and_bit_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->ext_ret = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
}

SEC("?tc")
int tc_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_tc);
	return 0;
}

SEC("?action")
int act_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_act);
	return 0;
}

SEC("?cgroup_skb/ingress")
int cg_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_cg);
	return 1;
}

SEC("?socket")
int sock_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_sock);
	return 0;
}

SEC("?lwt_in")
int lwt_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_lwt);
	return 0;
}

/* Tag every other matched packet with zeros (bpf_dynptr_memset() attaches
 * a buffer), leave the others untagged.
 */
SEC("?tc")
int tc_tag_zeros_every_other(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 proto;
	__u32 id;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	tc_write_stats.seen++;
	/* Datagrams with an even number (sent big-endian): the reader knows
	 * which to expect.
	 */
	if (!packet_id(skb, ETH_HLEN, &id, &proto) || (bpf_ntohl(id) & 1))
		return 0;
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta) ||
	    bpf_dynptr_memset(&meta, 0, TAG_SIZE, 0)) {
		tc_write_stats.write_err++;
		return 0;
	}
	tc_write_stats.written++;
	return 0;
}

/* Absent or zeros? BPF_DYNPTR_SKB_EXT_NOENT_F tells. */
SEC("?cgroup_skb/ingress")
int cg_read_noent(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE], proto;
	int err, i, zero = 1;
	bool tagged;
	__u32 id;

	if (!match_port(skb, 0))
		return 1;
	noent_stats.seen++;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F | BPF_DYNPTR_SKB_EXT_NOENT_F,
				       &meta);
	/* The writer tagged the even datagrams: -ENOENT exactly for the odd ones. */
	tagged = packet_id(skb, 0, &id, &proto) && !(bpf_ntohl(id) & 1);
	if (tagged == !err)
		noent_stats.id_ok++;
	else
		noent_stats.id_bad++;
	if (err) {
		noent_stats.dynptr_err++;
		noent_stats.last_err = err;
		noent_stats.err_null += bool_u32(bpf_dynptr_is_null(&meta));
		return 1;
	}
	if (bpf_dynptr_read(tag, TAG_SIZE, &meta, 0, 0)) {
		noent_stats.read_bad++;
		return 1;
	}
	for (i = 0; i < TAG_SIZE; i++)
		if (tag[i])
			zero = 0;
	if (zero)
		noent_stats.read_zero++;
	else
		noent_stats.read_bad++;
	return 1;
}

/* Every access path at non-zero offsets of a tagged packet, on its own
 * buffer and, after bpf_clone_redirect(), on a buffer shared with the clone
 * (read-only slices then go through the caller's bounce buffer): copies,
 * read-only and writable slices, memset, copy, and each through a view that
 * bpf_dynptr_adjust() moved. ref[] holds what each byte must be.
 * offsets_line: 0, or the line of the first check that failed.
 */
__u32 offsets_line;
__s32 offsets_clone_ret;

#define OFF_CHECK(cond)					\
	do {						\
		if (!(cond)) {				\
			offsets_line = __LINE__;	\
			return 0;			\
		}					\
	} while (0)

static __always_inline bool same_bytes(const __u8 *a, const __u8 *b, __u32 len)
{
	__u32 i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

SEC("?tc")
int tc_offsets(struct __sk_buff *skb)
{
	__u8 ref[TAG_SIZE], all[TAG_SIZE], buf[8], two[2] = { 0xc1, 0xc2 };
	struct bpf_dynptr d, v;
	__u8 *p;
	__u32 i;

	offsets_line = 1;
	for (i = 0; i < TAG_SIZE; i++)
		ref[i] = i * 3 + 1;
	OFF_CHECK(!bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &d));
	OFF_CHECK(!bpf_dynptr_write(&d, 0, ref, TAG_SIZE, 0));

	/* the packet's own buffer: a read-only slice points into it */
	p = bpf_dynptr_slice(&d, 16, buf, 8);
	OFF_CHECK(p && p != buf && same_bytes(p, ref + 16, 8));
	OFF_CHECK(!bpf_dynptr_read(buf, 8, &d, 40, 0) && same_bytes(buf, ref + 40, 8));

	p = bpf_dynptr_slice_rdwr(&d, 24, NULL, 8);
	OFF_CHECK(p);
	for (i = 0; i < 8; i++) {
		p[i] = 0xa0 + i;
		ref[24 + i] = 0xa0 + i;
	}
	OFF_CHECK(!bpf_dynptr_memset(&d, 32, 8, 0x77));
	for (i = 32; i < 40; i++)
		ref[i] = 0x77;
	OFF_CHECK(!bpf_dynptr_copy(&d, 48, &d, 8, 8));
	for (i = 0; i < 8; i++)
		ref[48 + i] = ref[8 + i];

	/* a view of bytes 8..40 */
	OFF_CHECK(!bpf_dynptr_clone(&d, &v));
	OFF_CHECK(!bpf_dynptr_adjust(&v, 8, 40));
	OFF_CHECK(bpf_dynptr_size(&v) == 32);
	OFF_CHECK(!bpf_dynptr_read(buf, 4, &v, 4, 0) && same_bytes(buf, ref + 12, 4));
	p = bpf_dynptr_slice(&v, 20, buf, 4);
	OFF_CHECK(p && same_bytes(p, ref + 28, 4));
	OFF_CHECK(!bpf_dynptr_memset(&v, 28, 4, 0x11));
	for (i = 36; i < 40; i++)
		ref[i] = 0x11;
	OFF_CHECK(!bpf_dynptr_write(&v, 2, two, 2, 0));
	ref[10] = 0xc1;
	ref[11] = 0xc2;
	p = bpf_dynptr_slice_rdwr(&v, 6, NULL, 2);
	OFF_CHECK(p);
	p[0] = 0xd1;
	p[1] = 0xd2;
	ref[14] = 0xd1;
	ref[15] = 0xd2;
	OFF_CHECK(!bpf_dynptr_copy(&v, 0, &d, 60, 2));
	ref[8] = ref[60];
	ref[9] = ref[61];
	/* past the view's end, though inside the buffer */
	OFF_CHECK(bpf_dynptr_read(buf, 4, &v, 30, 0) == -7 /* -E2BIG */);
	OFF_CHECK(!bpf_dynptr_slice(&v, 30, buf, 4));
	OFF_CHECK(!bpf_dynptr_read(all, TAG_SIZE, &d, 0, 0) &&
		  same_bytes(all, ref, TAG_SIZE));

	/* shared with a clone: read-only slices are copies in buf */
	offsets_clone_ret = bpf_clone_redirect(skb, cfg_clone_ifindex, 0);
	OFF_CHECK(!offsets_clone_ret);
	p = bpf_dynptr_slice(&d, 16, buf, 8);
	OFF_CHECK(p == buf && same_bytes(buf, ref + 16, 8));
	p = bpf_dynptr_slice(&v, 4, buf, 8);
	OFF_CHECK(p == buf && same_bytes(buf, ref + 12, 8));
	OFF_CHECK(!bpf_dynptr_read(buf, 8, &v, 24, 0) && same_bytes(buf, ref + 32, 8));
	/* a write unshares it first; through the view, at an offset */
	OFF_CHECK(!bpf_dynptr_memset(&v, 16, 4, 0x33));
	for (i = 24; i < 28; i++)
		ref[i] = 0x33;
	p = bpf_dynptr_slice(&d, 16, buf, 8);
	OFF_CHECK(p && p != buf && same_bytes(p, ref + 16, 8));
	OFF_CHECK(!bpf_dynptr_read(all, TAG_SIZE, &d, 0, 0) &&
		  same_bytes(all, ref, TAG_SIZE));
	offsets_line = 0;
	return 0;
}
