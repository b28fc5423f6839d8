// SPDX-License-Identifier: GPL-2.0
/* egp_classify: tc ingress of each local pod's node-side veth, where pod traffic first reaches the node.
 * One LPM lookup decides a packet's fate: cluster destinations are left alone, then the policy trie keyed by
 * (pod source, destination prefix) says pass, drop, steer to the gateway node (bpf_redirect_neigh, which
 * bypasses the node's routing and the CNI's masquerade) or, on the gateway itself, SNAT and out of the uplink.
 * IPv6 link-scoped traffic (multicast and link-local destinations, and neighbour discovery, which may also be
 * addressed to a node's global address) stays on the pod's link and never meets a policy.
 * egp_uplink_in: tc ingress of every node's uplink: replies to an egress IP and ICMP errors about its flows are
 * translated back to their pod, pods of other nodes steered here are SNATed like local ones (egress_nat.h), and
 * pod traffic steered here that this node does not SNAT is dropped (the steered-in guard), IPv4 and IPv6. One object, so both programs share the maps. Maps and layouts: egress_maps.h.
 * GPL: bpf_redirect_neigh is a GPL-only helper.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "egress_maps.h"

#define EGP_AF_INET 2
#define EGP_AF_INET6 10

/* No LIBBPF_PIN_BY_NAME: bpftool would pin under /sys/fs/bpf itself; the loader pins with `pinmaps DIR`.
 * Maps are declared by key and value size, not by BTF type: reading a map with BTF back (`bpftool map dump`)
 * needs CAP_SYS_ADMIN, which the agent should not need; the layouts are the structs of egress_maps.h, which
 * the object's BTF still carries (tests check the TypeScript encoders against it). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_POLICY_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_policy_key4));
	__uint(value_size, sizeof(struct egp_policy_value));
} EGP_POLICY4_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_POLICY_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_policy_key6));
	__uint(value_size, sizeof(struct egp_policy_value));
} EGP_POLICY6_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_CLUSTER_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_cluster_key4));
	__uint(value_size, sizeof(egp_cluster_value));
} EGP_CLUSTER4_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EGP_CLUSTER_MAX_ENTRIES);
	__uint(key_size, sizeof(struct egp_cluster_key6));
	__uint(value_size, sizeof(egp_cluster_value));
} EGP_CLUSTER6_MAP SEC(".maps");

#include "egress_nat.h"

static __always_inline int apply(struct __sk_buff *skb, const struct egp_policy_value *value, __u32 family)
{
	struct bpf_redir_neigh nexthop = {};

	switch (value->action) {
	case EGP_ACTION_DROP:
		return TC_ACT_SHOT;
	case EGP_ACTION_STEER:
		nexthop.nh_family = family;
		if (family == EGP_AF_INET)
			__builtin_memcpy(&nexthop.ipv4_nh, value->nexthop, 4);
		else
			__builtin_memcpy(nexthop.ipv6_nh, value->nexthop, 16);
		return bpf_redirect_neigh(value->ifindex, &nexthop, sizeof(nexthop), 0);
	case EGP_ACTION_LOCAL: /* this node is the gateway: SNAT and out of the uplink */
		return family == EGP_AF_INET ? egp_snat4(skb, value) : egp_snat6(skb, value);
	case EGP_ACTION_PASS:
	default:
		return TC_ACT_OK;
	}
}

#define EGP_ICMP6_ROUTER_SOLICIT 133
#define EGP_ICMP6_REDIRECT 137

/* To ff00::/8 or fe80::/10, or neighbour discovery (router and neighbour solicitations and advertisements,
 * redirects: ICMPv6 133 to 137, link-scoped whatever their destination). */
static __always_inline int on_link6(const struct ipv6hdr *ip6, void *data_end)
{
	__u8 first = ip6->daddr.in6_u.u6_addr8[0];
	const __u8 *icmp6_type = (const void *)(ip6 + 1);

	if (first == 0xff || (first == 0xfe && (ip6->daddr.in6_u.u6_addr8[1] & 0xc0) == 0x80))
		return 1;
	if (ip6->nexthdr != IPPROTO_ICMPV6 || (void *)(icmp6_type + 1) > data_end)
		return 0;
	return *icmp6_type >= EGP_ICMP6_ROUTER_SOLICIT && *icmp6_type <= EGP_ICMP6_REDIRECT;
}

/* The policy entry of an IPv4 packet from a pod to a non-cluster destination, or NULL. */
static __always_inline struct egp_policy_value *policy4(void *data, void *data_end)
{
	struct iphdr *ip = data;
	struct egp_cluster_key4 cluster = {};
	struct egp_policy_key4 key = {};

	if ((void *)(ip + 1) > data_end)
		return NULL;
	cluster.prefixlen = 32;
	cluster.dst = ip->daddr;
	if (bpf_map_lookup_elem(&EGP_CLUSTER4_MAP, &cluster))
		return NULL;
	key.prefixlen = 32 + 32;
	key.src = ip->saddr;
	key.dst = ip->daddr;
	return bpf_map_lookup_elem(&EGP_POLICY4_MAP, &key);
}

/* The policy entry of an IPv6 packet from a pod to a non-cluster, not on-link destination, or NULL. */
static __always_inline struct egp_policy_value *policy6(void *data, void *data_end)
{
	struct ipv6hdr *ip6 = data;
	struct egp_cluster_key6 cluster = {};
	struct egp_policy_key6 key = {};

	if ((void *)(ip6 + 1) > data_end || on_link6(ip6, data_end))
		return NULL;
	cluster.prefixlen = 128;
	__builtin_memcpy(cluster.dst, &ip6->daddr, 16);
	if (bpf_map_lookup_elem(&EGP_CLUSTER6_MAP, &cluster))
		return NULL;
	key.prefixlen = 128 + 128;
	__builtin_memcpy(key.src, &ip6->saddr, 16);
	__builtin_memcpy(key.dst, &ip6->daddr, 16);
	return bpf_map_lookup_elem(&EGP_POLICY6_MAP, &key);
}

static __always_inline int classify4(struct __sk_buff *skb, void *data, void *data_end)
{
	struct egp_policy_value *value = policy4(data, data_end);

	return value ? apply(skb, value, EGP_AF_INET) : TC_ACT_OK;
}

static __always_inline int classify6(struct __sk_buff *skb, void *data, void *data_end)
{
	struct egp_policy_value *value = policy6(data, data_end);

	return value ? apply(skb, value, EGP_AF_INET6) : TC_ACT_OK;
}

SEC("tc")
int egp_classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return classify4(skb, eth + 1, data_end);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return classify6(skb, eth + 1, data_end);
	return TC_ACT_OK;
}

/* The steered-in guard. A cluster source bound outside the cluster that arrives at the uplink with no LOCAL entry
 * here was steered to a node that does not, or no longer, SNAT it (a source node not yet told of a move, a
 * gateway that has just withdrawn the IP). Routed on, the CNI would masquerade it with this node's address:
 * the wrong source. Dropped instead, as by backend-iptables' steered-in chain. */
static __always_inline int steered_without_snat4(void *data, void *data_end)
{
	struct iphdr *ip = data;
	struct egp_cluster_key4 key = {};

	if ((void *)(ip + 1) > data_end)
		return 0;
	key.prefixlen = 32;
	key.dst = ip->saddr;
	if (!bpf_map_lookup_elem(&EGP_CLUSTER4_MAP, &key))
		return 0;
	key.dst = ip->daddr;
	return !bpf_map_lookup_elem(&EGP_CLUSTER4_MAP, &key);
}

static __always_inline int steered_without_snat6(void *data, void *data_end)
{
	struct ipv6hdr *ip6 = data;
	struct egp_cluster_key6 key = {};

	if ((void *)(ip6 + 1) > data_end || on_link6(ip6, data_end))
		return 0;
	key.prefixlen = 128;
	__builtin_memcpy(key.dst, &ip6->saddr, 16);
	if (!bpf_map_lookup_elem(&EGP_CLUSTER6_MAP, &key))
		return 0;
	__builtin_memcpy(key.dst, &ip6->daddr, 16);
	return !bpf_map_lookup_elem(&EGP_CLUSTER6_MAP, &key);
}

static __always_inline int uplink_in4(struct __sk_buff *skb)
{
	struct egp_policy_value *value;
	void *data, *data_end;
	int reversed;

	reversed = egp_reverse4(skb);
	if (reversed < 0)
		return TC_ACT_SHOT;
	if (reversed > 0) /* to its pod now: the node routes it there */
		return TC_ACT_OK;
	/* Steered here from another node: a pod source with a LOCAL entry. The helpers above moved no data. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	value = policy4(data + ETH_HLEN, data_end);
	if (value && value->action == EGP_ACTION_LOCAL)
		return egp_snat4(skb, value);
	return steered_without_snat4(data + ETH_HLEN, data_end) ? TC_ACT_SHOT : TC_ACT_OK;
}

static __always_inline int uplink_in6(struct __sk_buff *skb)
{
	struct egp_policy_value *value;
	void *data, *data_end;
	int reversed;

	reversed = egp_reverse6(skb);
	if (reversed < 0)
		return TC_ACT_SHOT;
	if (reversed > 0)
		return TC_ACT_OK;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	value = policy6(data + ETH_HLEN, data_end);
	if (value && value->action == EGP_ACTION_LOCAL)
		return egp_snat6(skb, value);
	return steered_without_snat6(data + ETH_HLEN, data_end) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int egp_uplink_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return uplink_in4(skb);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return uplink_in6(skb);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
