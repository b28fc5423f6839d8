/* The gateway's SNAT in BPF, shared by egp_classify (local pods, tc ingress of their veths) and egp_uplink_in
 * (tc ingress of the uplink: replies, ICMP errors, and pods of other nodes steered here). No netfilter rule is
 * involved: the source is rewritten at tc ingress and the packet leaves by bpf_redirect_neigh(uplink) (the
 * kernel's FIB picks the next hop), so it never reaches POSTROUTING and the CNI's masquerade. Replies to the
 * egress IP are translated back at the uplink's tc ingress, before routing, which then sends them to the pod.
 *
 *   egress_nat4.h        IPv4: TCP, UDP, ICMP echo (identifier as the port); SNAT and reverse translation
 *   egress_nat6.h        IPv6: the same, with ICMPv6 echo
 *   egress_icmp_error.h  ICMP errors about a translated flow, inbound (both families)
 *   egress_traffic.h     per egress IP counters of what is translated out: connections and bytes
 *
 * The gateway acts as a router: it decrements the TTL (hop limit) of what it translates, and leaves a packet
 * that would expire on it to the kernel, which drops it and sends the pod a time exceeded. Not in scope:
 * fragments, IPv6 extension headers and other protocols of a LOCAL entry (dropped rather than leaving with the
 * pod's source; IPv6 link-local and multicast destinations never reach here, egp_classify passes them), ICMP
 * errors sent by pods (none for translated flows in our scope). The LRU evicts under pressure only: idle and
 * stale entries are the agent's to remove (src/nat). Include after the policy maps' definitions; maps and
 * layouts: egress_maps.h.
 */
#ifndef EGRESS_NAT_H
#define EGRESS_NAT_H

#include <stddef.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "egress_maps.h"

/* linux/icmp.h and linux/icmpv6.h pull in the C library's socket headers, which -target bpf cannot include. */
#define EGP_ICMP_ECHOREPLY 0
#define EGP_ICMP_DEST_UNREACH 3
#define EGP_ICMP_ECHO 8
#define EGP_ICMP_TIME_EXCEEDED 11
#define EGP_ICMP_PARAMETERPROB 12
#define EGP_ICMP6_DEST_UNREACH 1
#define EGP_ICMP6_PKT_TOOBIG 2
#define EGP_ICMP6_TIME_EXCEED 3
#define EGP_ICMP6_PARAMPROB 4
#define EGP_ICMP6_ECHO_REQUEST 128
#define EGP_ICMP6_ECHO_REPLY 129

/* ICMP and ICMPv6 echo; the first four bytes are every ICMP message's (an error's next four are unused, the
 * next-hop MTU or a pointer, which translation leaves alone). */
struct egp_icmp_echo {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

#define EGP_OUTBOUND 0 /* pod → remote: echo requests */
#define EGP_INBOUND 1  /* remote → egress IP: echo replies and errors */
/* egp_parse4/6 on an inbound ICMP error: the caller hands it to egress_icmp_error.h. */
#define EGP_PARSED_ICMP_ERROR 1

/* Header offsets in a frame (the programs see the Ethernet header). */
#define EGP_IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define EGP_IP_TTL_OFF (ETH_HLEN + offsetof(struct iphdr, ttl))
#define EGP_IP_SRC_OFF (ETH_HLEN + offsetof(struct iphdr, saddr))
#define EGP_IP_DST_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))
#define EGP_IP6_HOP_OFF (ETH_HLEN + offsetof(struct ipv6hdr, hop_limit))
#define EGP_IP6_SRC_OFF (ETH_HLEN + offsetof(struct ipv6hdr, saddr))
#define EGP_IP6_DST_OFF (ETH_HLEN + offsetof(struct ipv6hdr, daddr))
#define EGP_IP6_L4_OFF (ETH_HLEN + sizeof(struct ipv6hdr)) /* no extension headers */

#define EGP_EINVAL 22
/* last_seen is refreshed at most this often, so a busy flow's packets do not all write one shared cache line. */
#define EGP_NAT_TOUCH_NS 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EGP_NAT_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_nat4_fwd_key));
	__uint(value_size, sizeof(struct egp_nat4_fwd_value));
} EGP_NAT4_FWD_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EGP_NAT_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_nat4_rev_key));
	__uint(value_size, sizeof(struct egp_nat4_rev_value));
} EGP_NAT4_REV_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EGP_NAT_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_nat6_fwd_key));
	__uint(value_size, sizeof(struct egp_nat6_fwd_value));
} EGP_NAT6_FWD_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EGP_NAT_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_nat6_rev_key));
	__uint(value_size, sizeof(struct egp_nat6_rev_value));
} EGP_NAT6_REV_MAP SEC(".maps");

/* The ICMP errors that embed the packet they are about (RFC 5508 section 4.2; RFC 4443 section 2.1). */
static __always_inline int egp_icmp4_is_error(__u8 type)
{
	return type == EGP_ICMP_DEST_UNREACH || type == EGP_ICMP_TIME_EXCEEDED || type == EGP_ICMP_PARAMETERPROB;
}

static __always_inline int egp_icmp6_is_error(__u8 type)
{
	return type >= EGP_ICMP6_DEST_UNREACH && type <= EGP_ICMP6_PARAMPROB;
}

static __always_inline int egp_addr6_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return a->in6_u.u6_addr32[0] == b->in6_u.u6_addr32[0] && a->in6_u.u6_addr32[1] == b->in6_u.u6_addr32[1] &&
	       a->in6_u.u6_addr32[2] == b->in6_u.u6_addr32[2] && a->in6_u.u6_addr32[3] == b->in6_u.u6_addr32[3];
}

static __always_inline void egp_touch(__u64 *last_seen, __u64 now)
{
	if (now - *last_seen >= EGP_NAT_TOUCH_NS)
		*last_seen = now;
}

/* The i-th port a claim tries: the pod's own first, then probes in [EGP_NAT_PORT_MIN, MAX] from `start`. */
static __always_inline __u16 egp_nat_port(int i, __u32 start, __u16 own)
{
	if (i == 0)
		return own;
	return bpf_htons(EGP_NAT_PORT_MIN + (start + i) % (EGP_NAT_PORT_MAX - EGP_NAT_PORT_MIN + 1));
}

/* A checksum update by a precomputed difference (bpf_csum_diff) of IPv6 addresses. BPF_F_IPV6 keeps a
 * CHECKSUM_COMPLETE skb's csum right when the address is in the pseudo-header (Linux 6.16); kernels without
 * the flag refuse it, and get the update without it. */
static __always_inline int egp_csum_diff6(struct __sk_buff *skb, __u32 csum_off, __s64 diff, __u64 flags)
{
	int err = bpf_l4_csum_replace(skb, csum_off, 0, diff, flags | BPF_F_IPV6);

	if (err == -EGP_EINVAL)
		err = bpf_l4_csum_replace(skb, csum_off, 0, diff, flags);
	return err;
}

#include "egress_icmp_error.h"
#include "egress_traffic.h"
#include "egress_nat4.h"
#include "egress_nat6.h"

#endif /* EGRESS_NAT_H */
