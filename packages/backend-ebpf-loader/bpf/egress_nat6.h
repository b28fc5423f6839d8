/* IPv6 SNAT of the gateway (overview: egress_nat.h): TCP, UDP and ICMPv6 echo (the identifier as the port),
 * translated exactly as IPv4 is (egress_nat4.h). IPv6 has no header checksum, but all three L4 checksums cover
 * the pseudo-header (ICMPv6's too, unlike ICMPv4's): an address change is one bpf_csum_diff of the 16 bytes
 * applied with BPF_F_PSEUDO_HDR. UDP's checksum is mandatory in IPv6; a translation never writes a zero one
 * (BPF_F_MARK_MANGLED_0 writes 0xffff), and a zero one is left zero, as the kernel's own NAT does: the receiver
 * drops it (RFC 8200 section 8.1) unless it is a tunnel that opted in (RFC 6936). The first header after the
 * fixed one must be the L4 header: extension headers and fragments are not translated. Include through
 * egress_nat.h.
 */
#ifndef EGRESS_NAT6_H
#define EGRESS_NAT6_H

/* A parsed IPv6 flow, as struct egp_flow4. */
struct egp_flow6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__u16 sport;
	__u16 dport;
	__u32 sport_off;
	__u32 dport_off;
	__u32 csum_off;
	__u32 csum_flags; /* BPF_F_PSEUDO_HDR; UDP also BPF_F_MARK_MANGLED_0 */
	__u8 proto;
	__u8 hop_limit;
};

/* 0 on a flow this file translates, EGP_PARSED_ICMP_ERROR on an inbound ICMPv6 error, -1 otherwise. */
static __always_inline int egp_parse6(struct __sk_buff *skb, struct egp_flow6 *f, int direction)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	__u32 l4 = EGP_IP6_L4_OFF;

	if ((void *)(ip6 + 1) > data_end)
		return -1;
	__builtin_memcpy(&f->saddr, &ip6->saddr, 16);
	__builtin_memcpy(&f->daddr, &ip6->daddr, 16);
	f->proto = ip6->nexthdr;
	f->hop_limit = ip6->hop_limit;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		struct udphdr *uh = data + l4;

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
	if (f->proto == IPPROTO_ICMPV6) {
		struct egp_icmp_echo *ic = data + l4;

		if ((void *)(ic + 1) > data_end)
			return -1;
		if (direction == EGP_INBOUND && egp_icmp6_is_error(ic->type))
			return EGP_PARSED_ICMP_ERROR;
		if (ic->type != (direction == EGP_OUTBOUND ? EGP_ICMP6_ECHO_REQUEST : EGP_ICMP6_ECHO_REPLY))
			return -1;
		f->sport = direction == EGP_OUTBOUND ? ic->id : 0;
		f->dport = direction == EGP_OUTBOUND ? 0 : ic->id;
		f->sport_off = f->dport_off = l4 + offsetof(struct egp_icmp_echo, id);
		f->csum_off = l4 + offsetof(struct egp_icmp_echo, checksum);
		f->csum_flags = BPF_F_PSEUDO_HDR;
		return 0;
	}
	return -1;
}

/* Rewrites one address (at addr_off) and one port (at port_off) with the L4 checksum; 0 or a helper's error. */
static __always_inline int egp_rewrite6(struct __sk_buff *skb, const struct egp_flow6 *f, __u32 addr_off,
					const struct in6_addr *old_addr, const struct in6_addr *new_addr,
					__u32 port_off, __u16 old_port, __u16 new_port)
{
	__s64 diff;
	int err;

	if (!egp_addr6_eq(old_addr, new_addr)) {
		diff = bpf_csum_diff((__be32 *)old_addr, 16, (__be32 *)new_addr, 16, 0);
		if (diff < 0)
			return diff;
		err = egp_csum_diff6(skb, f->csum_off, diff, f->csum_flags);
		if (err)
			return err;
		err = bpf_skb_store_bytes(skb, addr_off, new_addr, 16, 0);
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

/* The hop limit one hop on (the caller checked it is above 1). No checksum covers it; BPF_F_RECOMPUTE_CSUM
 * keeps a CHECKSUM_COMPLETE skb's csum right. */
static __always_inline int egp_hop6(struct __sk_buff *skb, __u8 hop_limit)
{
	__u8 next = hop_limit - 1;

	return bpf_skb_store_bytes(skb, EGP_IP6_HOP_OFF, &next, 1, BPF_F_RECOMPUTE_CSUM);
}

/* As egp_claim4: 0 the flow's port, 1 a new claim, -1 none free. */
static __always_inline int egp_claim6(const struct egp_flow6 *f, const struct in6_addr *egress, __u16 *port)
{
	struct egp_nat6_fwd_key fk = {};
	struct egp_nat6_fwd_value fv = {};
	struct egp_nat6_rev_key rk = {};
	struct egp_nat6_rev_value rv = {};
	struct egp_nat6_fwd_value *known;
	struct egp_nat6_rev_value *owner;
	__u64 now = bpf_ktime_get_ns();
	__u32 start;
	int i;

	__builtin_memcpy(fk.pod, &f->saddr, 16);
	__builtin_memcpy(fk.remote, &f->daddr, 16);
	fk.pod_port = f->sport;
	fk.remote_port = f->dport;
	fk.proto = f->proto;
	__builtin_memcpy(rk.egress, egress, 16);
	__builtin_memcpy(rk.remote, &f->daddr, 16);
	rk.remote_port = f->dport;
	rk.proto = f->proto;
	__builtin_memcpy(rv.pod, &f->saddr, 16);
	rv.pod_port = f->sport;
	rv.last_seen = now;

	known = bpf_map_lookup_elem(&EGP_NAT6_FWD_MAP, &fk);
	if (known && egp_addr6_eq((const struct in6_addr *)known->egress, egress)) {
		rk.port = known->port;
		owner = bpf_map_lookup_elem(&EGP_NAT6_REV_MAP, &rk);
		if (owner && egp_addr6_eq((const struct in6_addr *)owner->pod, &f->saddr) &&
		    owner->pod_port == rv.pod_port) {
			/* Both directions: the reverse entry alone then says whether the port is in use (src/nat). */
			egp_touch(&known->last_seen, now);
			egp_touch(&owner->last_seen, now);
			*port = rk.port;
			return 0;
		}
	}
	start = bpf_get_prandom_u32();
	for (i = 0; i <= EGP_NAT_PORT_TRIES; i++) {
		rk.port = egp_nat_port(i, start, f->sport);
		if (bpf_map_update_elem(&EGP_NAT6_REV_MAP, &rk, &rv, BPF_NOEXIST) == 0) {
			fv.port = rk.port;
			__builtin_memcpy(fv.egress, egress, 16);
			fv.last_seen = now;
			if (bpf_map_update_elem(&EGP_NAT6_FWD_MAP, &fk, &fv, BPF_ANY)) {
				bpf_map_delete_elem(&EGP_NAT6_REV_MAP, &rk);
				return -1;
			}
			*port = rk.port;
			return 1;
		}
	}
	return -1;
}

/* LOCAL: SNAT to the entry's egress IP and out of its uplink. ifindex 0 (an entry without an uplink): pass. */
static __always_inline int egp_snat6(struct __sk_buff *skb, const struct egp_policy_value *policy)
{
	__u32 ifindex = policy->ifindex;
	struct egp_flow6 f = {};
	struct in6_addr egress;
	__u16 port;
	int claimed;

	if (!ifindex)
		return TC_ACT_OK;
	__builtin_memcpy(&egress, policy->egress_ip, 16);
	if (egp_parse6(skb, &f, EGP_OUTBOUND))
		return TC_ACT_SHOT;
	if (f.hop_limit <= 1) /* it expires here: the kernel's forwarding drops it and answers time exceeded */
		return TC_ACT_OK;
	claimed = egp_claim6(&f, &egress, &port);
	if (claimed < 0)
		return TC_ACT_SHOT;
	if (egp_rewrite6(skb, &f, EGP_IP6_SRC_OFF, &f.saddr, &egress, f.sport_off, f.sport, port) ||
	    egp_hop6(skb, f.hop_limit))
		return TC_ACT_SHOT;
	egp_count(&EGP_TRAFFIC6_MAP, &egress, egp_ip_len(skb), claimed);
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/* As egp_reverse4: 1 when translated back to its pod, 0 when not ours, -1 on error. */
static __always_inline int egp_reverse6(struct __sk_buff *skb)
{
	struct egp_nat6_rev_key rk = {};
	struct egp_nat6_rev_value *rv;
	struct egp_flow6 f = {};
	struct in6_addr pod;
	__u16 pod_port;
	int parsed;

	parsed = egp_parse6(skb, &f, EGP_INBOUND);
	if (parsed == EGP_PARSED_ICMP_ERROR)
		return egp_icmp_error6(skb, &f.daddr);
	if (parsed)
		return 0;
	__builtin_memcpy(rk.egress, &f.daddr, 16);
	__builtin_memcpy(rk.remote, &f.saddr, 16);
	rk.port = f.dport;
	rk.remote_port = f.sport;
	rk.proto = f.proto;
	rv = bpf_map_lookup_elem(&EGP_NAT6_REV_MAP, &rk);
	if (!rv)
		return 0;
	egp_touch(&rv->last_seen, bpf_ktime_get_ns());
	__builtin_memcpy(&pod, rv->pod, 16);
	pod_port = rv->pod_port;
	if (egp_rewrite6(skb, &f, EGP_IP6_DST_OFF, &f.daddr, &pod, f.dport_off, f.dport, pod_port))
		return -1;
	return 1;
}

#endif /* EGRESS_NAT6_H */
