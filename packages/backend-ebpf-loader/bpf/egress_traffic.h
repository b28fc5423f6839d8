/* Per egress IP counters of what the gateway's SNAT sends out (maps and layout: egress_maps.h). Counted where the
 * translation happens, so they cover local pods (egp_classify) and pods steered here (egp_uplink_in) alike:
 * a connection when a flow claims a port (egp_claim4/6: its reverse and forward entries written), bytes for every
 * packet translated out (egp_snat4/6), as the IP packet leaves (skb->len without the Ethernet header: a GSO
 * packet counts its whole length once, as netfilter's counters do). Replies are not counted. One per-CPU hash
 * lookup per translated packet; plain adds, since the value is this CPU's own copy and tc programs do not
 * migrate while they run. Include through egress_nat.h.
 */
#ifndef EGRESS_TRAFFIC_H
#define EGRESS_TRAFFIC_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_TRAFFIC_MAX_ENTRIES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct egp_traffic_value));
} EGP_TRAFFIC4_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_TRAFFIC_MAX_ENTRIES);
	__uint(key_size, sizeof(struct in6_addr));
	__uint(value_size, sizeof(struct egp_traffic_value));
} EGP_TRAFFIC6_MAP SEC(".maps");

/* This CPU's counters of an egress IP, created (zero on every CPU) by its first packet; NULL when the map is
 * full, and the packet goes uncounted rather than dropped. */
static __always_inline struct egp_traffic_value *egp_traffic_of(void *map, const void *egress)
{
	struct egp_traffic_value zero = {};
	struct egp_traffic_value *counters = bpf_map_lookup_elem(map, egress);

	if (counters)
		return counters;
	bpf_map_update_elem(map, egress, &zero, BPF_NOEXIST); /* a racing CPU may have created it: either is fine */
	return bpf_map_lookup_elem(map, egress);
}

/* One packet of `len` bytes translated out to `egress`; `claimed`: it claimed a port (a new connection). */
static __always_inline void egp_count(void *map, const void *egress, __u32 len, int claimed)
{
	struct egp_traffic_value *counters = egp_traffic_of(map, egress);

	if (!counters)
		return;
	counters->bytes += len;
	if (claimed)
		counters->connections += 1;
}

/* The IP packet's length: tc programs see the frame from its Ethernet header. */
static __always_inline __u32 egp_ip_len(const struct __sk_buff *skb)
{
	return skb->len > ETH_HLEN ? skb->len - ETH_HLEN : 0;
}

#endif /* EGRESS_TRAFFIC_H */
