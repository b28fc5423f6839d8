/* ICMP errors about a translated flow, arriving at the uplink (overview: egress_nat.h): IPv4 destination
 * unreachable (fragmentation needed included), time exceeded and parameter problem; IPv6 destination
 * unreachable, packet too big, time exceeded and parameter problem. The error embeds the head of the packet it
 * is about, as it left us: inner source = the egress IP, inner source port (echo identifier) = the translated
 * port. That inner header is the reverse key (egress IP, inner destination, translated port, inner destination
 * port, inner protocol); with an entry, the error goes to the pod as if the pod's packet had caused it:
 *   - outer destination → the pod (IPv4: the header checksum; IPv6: the ICMPv6 checksum, whose pseudo-header
 *     holds it);
 *   - inner source → the pod (IPv4: the inner header checksum, so the inner header's sum, which the ICMP
 *     checksum covers, is unchanged; IPv6: the ICMPv6 checksum);
 *   - inner source port → the pod's, and the inner L4 checksum for the inner address and port when the error
 *     carries it (as the kernel's own NAT does, RFC 5508 section 4.2: ICMPv4 errors need carry only 8 bytes,
 *     which hold UDP's and ICMP's checksum but not TCP's), and the ICMP checksum for both.
 * Reading a pod's socket error queue is what makes this matter: the kernel matches an error to a socket by the
 * inner header, and a TCP connection learns its path MTU from it. The outbound direction is not handled: pods
 * send no ICMP errors about translated flows in our scope (an error from a pod is dropped by a LOCAL entry like
 * any untranslated protocol). Inner headers are read with bpf_skb_load_bytes (they may lie past the linear
 * data); ICMP errors are never CHECKSUM_PARTIAL, so the payload's checksums are updated as plain fields (no
 * BPF_F_PSEUDO_HDR). Include through egress_nat.h.
 */
#ifndef EGRESS_ICMP_ERROR_H
#define EGRESS_ICMP_ERROR_H

#define EGP_ICMP_CSUM_AT(l4) ((l4) + offsetof(struct egp_icmp_echo, checksum))

/* The embedded packet's L4 fields. */
struct egp_inner {
	__u32 port_off;   /* inner source port, or echo identifier */
	__u32 csum_off;   /* inner L4 checksum */
	__u64 csum_flags; /* UDP: BPF_F_MARK_MANGLED_0 (IPv4: zero is "no checksum"; IPv6: left zero) */
	__u16 sport;
	__u16 dport;      /* 0 for echo */
};

/* The inner L4 header at il4: TCP, UDP, or an echo request of `echo_proto`. 0, or -1 when not one we translate. */
static __always_inline int egp_inner_l4(struct __sk_buff *skb, __u32 il4, __u8 proto, __u8 echo_proto,
					__u8 echo_request, struct egp_inner *in)
{
	struct egp_icmp_echo echo;
	__be16 ports[2];

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (bpf_skb_load_bytes(skb, il4, ports, sizeof(ports)))
			return -1;
		in->sport = ports[0];
		in->dport = ports[1];
		in->port_off = il4 + offsetof(struct udphdr, source);
		if (proto == IPPROTO_TCP) {
			in->csum_off = il4 + offsetof(struct tcphdr, check);
			in->csum_flags = 0;
		} else {
			in->csum_off = il4 + offsetof(struct udphdr, check);
			in->csum_flags = BPF_F_MARK_MANGLED_0;
		}
		return 0;
	}
	if (proto == echo_proto) {
		if (bpf_skb_load_bytes(skb, il4, &echo, sizeof(echo)) || echo.type != echo_request)
			return -1;
		in->sport = echo.id;
		in->dport = 0;
		in->port_off = il4 + offsetof(struct egp_icmp_echo, id);
		in->csum_off = il4 + offsetof(struct egp_icmp_echo, checksum);
		in->csum_flags = 0;
		return 0;
	}
	return -1;
}

/* The inner port → pod_port, and the inner checksum (when present and not a zero UDP one) for it and for the
 * inner address change `addr_diff` (0: the inner checksum has no pseudo-header), then the outer ICMP checksum at
 * icmp_csum for the bytes that changed. 0 or a helper's error. */
static __always_inline int egp_inner_rewrite(struct __sk_buff *skb, const struct egp_inner *in, __u32 icmp_csum,
					     __s64 addr_diff, __u16 pod_port)
{
	__sum16 before, after;
	int err;

	if (bpf_skb_load_bytes(skb, in->csum_off, &before, 2) == 0 &&
	    !((in->csum_flags & BPF_F_MARK_MANGLED_0) && before == 0)) {
		if (addr_diff) {
			err = bpf_l4_csum_replace(skb, in->csum_off, 0, addr_diff, in->csum_flags);
			if (err)
				return err;
		}
		err = bpf_l4_csum_replace(skb, in->csum_off, in->sport, pod_port, in->csum_flags | 2);
		if (err)
			return err;
		err = bpf_skb_load_bytes(skb, in->csum_off, &after, 2);
		if (err)
			return err;
		err = bpf_l4_csum_replace(skb, icmp_csum, before, after, 2);
		if (err)
			return err;
	}
	err = bpf_l4_csum_replace(skb, icmp_csum, in->sport, pod_port, 2);
	if (err)
		return err;
	return bpf_skb_store_bytes(skb, in->port_off, &pod_port, 2, 0);
}

/* An ICMPv4 error to `egress` (the outer destination) whose ICMP header is at l4: 1 when translated to its pod,
 * 0 when not about a translated flow, -1 on error. */
static __always_inline int egp_icmp_error4(struct __sk_buff *skb, __u32 egress, __u32 l4)
{
	struct egp_nat4_rev_key rk = {};
	struct egp_nat4_rev_value *rv;
	struct egp_inner in = {};
	struct iphdr inner;
	__u32 ip_in = l4 + sizeof(struct egp_icmp_echo);
	__u32 pod;
	__u16 pod_port;
	__s64 diff = 0;

	if (bpf_skb_load_bytes(skb, ip_in, &inner, sizeof(inner)))
		return 0;
	if (inner.version != 4 || inner.ihl < 5 || inner.saddr != egress || (inner.frag_off & bpf_htons(0x1fff)))
		return 0; /* not from us, or a later fragment (no ports) */
	if (egp_inner_l4(skb, ip_in + inner.ihl * 4, inner.protocol, IPPROTO_ICMP, EGP_ICMP_ECHO, &in))
		return 0;
	rk.egress = egress;
	rk.remote = inner.daddr;
	rk.port = in.sport;
	rk.remote_port = in.dport;
	rk.proto = inner.protocol;
	rv = bpf_map_lookup_elem(&EGP_NAT4_REV_MAP, &rk);
	if (!rv)
		return 0;
	pod = rv->pod;
	pod_port = rv->pod_port;
	if (bpf_l3_csum_replace(skb, EGP_IP_CSUM_OFF, egress, pod, 4) ||
	    bpf_skb_store_bytes(skb, EGP_IP_DST_OFF, &pod, 4, 0))
		return -1;
	if (bpf_l3_csum_replace(skb, ip_in + offsetof(struct iphdr, check), egress, pod, 4) ||
	    bpf_skb_store_bytes(skb, ip_in + offsetof(struct iphdr, saddr), &pod, 4, 0))
		return -1;
	if (inner.protocol != IPPROTO_ICMP) /* TCP's and UDP's checksums cover the inner pseudo-header */
		diff = bpf_csum_diff(&egress, 4, &pod, 4, 0);
	if (diff < 0 || egp_inner_rewrite(skb, &in, EGP_ICMP_CSUM_AT(l4), diff, pod_port))
		return -1;
	return 1;
}

/* An ICMPv6 error to `egress` (the outer destination; its ICMPv6 header follows the fixed header): as
 * egp_icmp_error4. */
static __always_inline int egp_icmp_error6(struct __sk_buff *skb, const struct in6_addr *egress)
{
	struct egp_nat6_rev_key rk = {};
	struct egp_nat6_rev_value *rv;
	struct egp_inner in = {};
	struct ipv6hdr inner;
	struct in6_addr pod;
	__u32 l4 = EGP_IP6_L4_OFF;
	__u32 ip_in = l4 + sizeof(struct egp_icmp_echo);
	__u32 icmp_csum = EGP_ICMP_CSUM_AT(l4);
	__u16 pod_port;
	__s64 diff;

	if (bpf_skb_load_bytes(skb, ip_in, &inner, sizeof(inner)))
		return 0;
	if (inner.version != 6 || !egp_addr6_eq(&inner.saddr, egress))
		return 0;
	if (egp_inner_l4(skb, ip_in + sizeof(inner), inner.nexthdr, IPPROTO_ICMPV6, EGP_ICMP6_ECHO_REQUEST, &in))
		return 0;
	__builtin_memcpy(rk.egress, egress, 16);
	__builtin_memcpy(rk.remote, &inner.daddr, 16);
	rk.port = in.sport;
	rk.remote_port = in.dport;
	rk.proto = inner.nexthdr;
	rv = bpf_map_lookup_elem(&EGP_NAT6_REV_MAP, &rk);
	if (!rv)
		return 0;
	__builtin_memcpy(&pod, rv->pod, 16);
	pod_port = rv->pod_port;
	/* One difference serves the outer destination (pseudo-header), the inner source (payload) and the inner
	 * checksum (every IPv6 L4 checksum covers its pseudo-header). */
	diff = bpf_csum_diff((__be32 *)egress, 16, (__be32 *)&pod, 16, 0);
	if (diff < 0)
		return -1;
	if (egp_csum_diff6(skb, icmp_csum, diff, BPF_F_PSEUDO_HDR) ||
	    bpf_skb_store_bytes(skb, EGP_IP6_DST_OFF, &pod, 16, 0))
		return -1;
	if (bpf_l4_csum_replace(skb, icmp_csum, 0, diff, 0) ||
	    bpf_skb_store_bytes(skb, ip_in + offsetof(struct ipv6hdr, saddr), &pod, 16, 0))
		return -1;
	if (egp_inner_rewrite(skb, &in, icmp_csum, diff, pod_port))
		return -1;
	return 1;
}

#endif /* EGRESS_ICMP_ERROR_H */
