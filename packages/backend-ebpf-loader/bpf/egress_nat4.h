/* IPv4 SNAT of the gateway (overview: egress_nat.h): TCP, UDP (a zero checksum, "none", stays zero) and ICMP
 * echo (the identifier as the port; ICMP's checksum covers no pseudo-header). Include through egress_nat.h.
 */
#ifndef EGRESS_NAT4_H
#define EGRESS_NAT4_H

/* A parsed IPv4 flow; addresses and ports in network order. ICMP echo: the identifier is the pod-side port
 * (sport outbound, dport inbound), the remote port is 0, and both port offsets point at the identifier. */
struct egp_flow4 {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 l4_off;
	__u32 sport_off;
	__u32 dport_off;
	__u32 csum_off;
	__u32 csum_flags; /* BPF_F_PSEUDO_HDR for TCP and UDP; UDP also BPF_F_MARK_MANGLED_0 (0 stays 0) */
	__u8 proto;
	__u8 ttl;
};

/* 0 on a flow this file translates, EGP_PARSED_ICMP_ERROR on an inbound ICMP error (f->l4_off set), -1
 * otherwise (a fragment, another protocol or ICMP type, truncated). */
static __always_inline int egp_parse4(struct __sk_buff *skb, struct egp_flow4 *f, int direction)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + ETH_HLEN;
	__u32 l4;

	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return -1;
	if (ip->frag_off & bpf_htons(0x3fff)) /* more fragments, or an offset */
		return -1;
	f->saddr = ip->saddr;
	f->daddr = ip->daddr;
	f->proto = ip->protocol;
	f->ttl = ip->ttl;
	l4 = ETH_HLEN + ip->ihl * 4;
	f->l4_off = l4;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		struct udphdr *uh = data + l4; /* ports in the same place for both */

		if ((void *)(uh + 1) > data_end)
			return -1;
		if (f->proto == IPPROTO_TCP) {
			struct tcphdr *th = data + l4;

			if ((void *)(th + 1) > data_end)
				return -1;
			f->csum_off = l4 + offsetof(struct tcphdr, check);
			f->csum_flags = BPF_F_PSEUDO_HDR;
		} else {
			f->csum_off = l4 + offsetof(struct udphdr, check);
			f->csum_flags = BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0;
		}
		f->sport = uh->source;
		f->dport = uh->dest;
		f->sport_off = l4 + offsetof(struct udphdr, source);
		f->dport_off = l4 + offsetof(struct udphdr, dest);
		return 0;
	}
	if (f->proto == IPPROTO_ICMP) {
		struct egp_icmp_echo *ic = data + l4;

		if ((void *)(ic + 1) > data_end)
			return -1;
		if (direction == EGP_INBOUND && egp_icmp4_is_error(ic->type))
			return EGP_PARSED_ICMP_ERROR;
		if (ic->type != (direction == EGP_OUTBOUND ? EGP_ICMP_ECHO : EGP_ICMP_ECHOREPLY))
			return -1;
		f->sport = direction == EGP_OUTBOUND ? ic->id : 0;
		f->dport = direction == EGP_OUTBOUND ? 0 : ic->id;
		f->sport_off = f->dport_off = l4 + offsetof(struct egp_icmp_echo, id);
		f->csum_off = l4 + offsetof(struct egp_icmp_echo, checksum);
		f->csum_flags = 0;
		return 0;
	}
	return -1;
}

/* Rewrites one address (at addr_off) and one port (at port_off) with their checksums; 0 or a helper's error. */
static __always_inline int egp_rewrite4(struct __sk_buff *skb, const struct egp_flow4 *f, __u32 addr_off,
					__u32 old_addr, __u32 new_addr, __u32 port_off, __u16 old_port,
					__u16 new_port)
{
	int err;

	if (old_addr != new_addr) {
		/* ICMP's checksum covers no pseudo-header: only TCP's and UDP's change with the address. */
		if (f->proto != IPPROTO_ICMP) {
			err = bpf_l4_csum_replace(skb, f->csum_off, old_addr, new_addr, f->csum_flags | 4);
			if (err)
				return err;
		}
		err = bpf_l3_csum_replace(skb, EGP_IP_CSUM_OFF, old_addr, new_addr, 4);
		if (err)
			return err;
		err = bpf_skb_store_bytes(skb, addr_off, &new_addr, 4, 0);
		if (err)
			return err;
	}
	if (old_port != new_port) {
		err = bpf_l4_csum_replace(skb, f->csum_off, old_port, new_port,
					  (f->csum_flags & ~BPF_F_PSEUDO_HDR) | 2);
		if (err)
			return err;
		err = bpf_skb_store_bytes(skb, port_off, &new_port, 2, 0);
		if (err)
			return err;
	}
	return 0;
}

/* The TTL one hop on (the caller checked it is above 1), with the header checksum. */
static __always_inline int egp_hop4(struct __sk_buff *skb, __u8 ttl)
{
	__u8 next = ttl - 1;
	int err;

	/* The checksum's 16-bit word is (ttl, protocol); the protocol byte does not change. */
	err = bpf_l3_csum_replace(skb, EGP_IP_CSUM_OFF, bpf_htons(ttl << 8), bpf_htons(next << 8), 2);
	if (err)
		return err;
	return bpf_skb_store_bytes(skb, EGP_IP_TTL_OFF, &next, 1, 0);
}

/* The translated port of an outbound flow: the one it already has (its reverse entry still ours, same egress
 * IP), else a new claim: the pod's own port when free, else EGP_NAT_PORT_TRIES probes from a random start.
 * 0: the flow's port, 1: a new claim (a new connection for the counters), -1: none free. */
static __always_inline int egp_claim4(const struct egp_flow4 *f, __u32 egress, __u16 *port)
{
	struct egp_nat4_fwd_key fk = {};
	struct egp_nat4_fwd_value fv = {};
	struct egp_nat4_rev_key rk = {};
	struct egp_nat4_rev_value rv = {};
	struct egp_nat4_fwd_value *known;
	struct egp_nat4_rev_value *owner;
	__u64 now = bpf_ktime_get_ns();
	__u32 start;
	int i;

	fk.pod = f->saddr;
	fk.remote = f->daddr;
	fk.pod_port = f->sport;
	fk.remote_port = f->dport;
	fk.proto = f->proto;
	rk.egress = egress;
	rk.remote = f->daddr;
	rk.remote_port = f->dport;
	rk.proto = f->proto;
	rv.pod = f->saddr;
	rv.pod_port = f->sport;
	rv.last_seen = now;

	known = bpf_map_lookup_elem(&EGP_NAT4_FWD_MAP, &fk);
	if (known && known->egress == egress) {
		rk.port = known->port;
		owner = bpf_map_lookup_elem(&EGP_NAT4_REV_MAP, &rk);
		if (owner && owner->pod == rv.pod && owner->pod_port == rv.pod_port) {
			/* Both directions: the reverse entry alone then says whether the port is in use (src/nat). */
			egp_touch(&known->last_seen, now);
			egp_touch(&owner->last_seen, now);
			*port = rk.port;
			return 0;
		}
		/* The reverse entry was evicted or swept, or belongs to another flow now. */
	}
	/* No entry, or one of another egress IP (the policy moved the pod): its reverse entry is left to the sweep. */
	start = bpf_get_prandom_u32();
	for (i = 0; i <= EGP_NAT_PORT_TRIES; i++) {
		rk.port = egp_nat_port(i, start, f->sport);
		if (bpf_map_update_elem(&EGP_NAT4_REV_MAP, &rk, &rv, BPF_NOEXIST) == 0) {
			fv.port = rk.port;
			fv.egress = egress;
			fv.last_seen = now;
			if (bpf_map_update_elem(&EGP_NAT4_FWD_MAP, &fk, &fv, BPF_ANY)) {
				bpf_map_delete_elem(&EGP_NAT4_REV_MAP, &rk);
				return -1;
			}
			*port = rk.port;
			return 1;
		}
	}
	return -1;
}

/* LOCAL: SNAT to the entry's egress IP and out of its uplink. ifindex 0 (an entry without an uplink): pass. */
static __always_inline int egp_snat4(struct __sk_buff *skb, const struct egp_policy_value *policy)
{
	__u32 ifindex = policy->ifindex;
	struct egp_flow4 f = {};
	__u32 egress;
	__u16 port;
	int claimed;

	if (!ifindex)
		return TC_ACT_OK;
	__builtin_memcpy(&egress, policy->egress_ip, 4);
	if (egp_parse4(skb, &f, EGP_OUTBOUND))
		return TC_ACT_SHOT;
	if (f.ttl <= 1) /* it expires here: the kernel's forwarding drops it and answers time exceeded */
		return TC_ACT_OK;
	claimed = egp_claim4(&f, egress, &port);
	if (claimed < 0)
		return TC_ACT_SHOT;
	if (egp_rewrite4(skb, &f, EGP_IP_SRC_OFF, f.saddr, egress, f.sport_off, f.sport, port) ||
	    egp_hop4(skb, f.ttl))
		return TC_ACT_SHOT;
	egp_count(&EGP_TRAFFIC4_MAP, &egress, egp_ip_len(skb), claimed);
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/* Reverse NAT of a packet to an egress IP (a reply, or an ICMP error about a translated flow): 1 when translated
 * back to its pod, 0 when not ours, -1 on error. */
static __always_inline int egp_reverse4(struct __sk_buff *skb)
{
	struct egp_nat4_rev_key rk = {};
	struct egp_nat4_rev_value *rv;
	struct egp_flow4 f = {};
	__u32 pod;
	__u16 pod_port;
	int parsed;

	parsed = egp_parse4(skb, &f, EGP_INBOUND);
	if (parsed == EGP_PARSED_ICMP_ERROR)
		return egp_icmp_error4(skb, f.daddr, f.l4_off);
	if (parsed)
		return 0;
	rk.egress = f.daddr;
	rk.port = f.dport;
	rk.remote = f.saddr;
	rk.remote_port = f.sport;
	rk.proto = f.proto;
	rv = bpf_map_lookup_elem(&EGP_NAT4_REV_MAP, &rk);
	if (!rv)
		return 0;
	egp_touch(&rv->last_seen, bpf_ktime_get_ns());
	pod = rv->pod;
	pod_port = rv->pod_port;
	if (egp_rewrite4(skb, &f, EGP_IP_DST_OFF, f.daddr, pod, f.dport_off, f.dport, pod_port))
		return -1;
	return 1;
}

#endif /* EGRESS_NAT4_H */
