/* The contract between the BPF programs and the loader: map names, key and value layouts, actions.
 * src/maps/map-layout.ts encodes exactly these bytes; change both together.
 *
 * Keys of the LPM tries hold addresses in network byte order and `prefixlen` in host order, as the kernel's
 * LPM trie requires (struct bpf_lpm_trie_key: a host-order u32, then the data it matches bit by bit).
 * A policy key is (source address, destination prefix): `prefixlen` counts the whole source (32 or 128 bits)
 * plus the destination prefix, so a lookup with the packet's (source, destination) and a full prefixlen finds
 * the longest destination prefix among that source's entries — the longest-prefix form of the node's table
 * (core: compileLongestPrefixTable), one lookup per packet whatever the number of policies.
 */
#ifndef EGRESS_MAPS_H
#define EGRESS_MAPS_H

#include <linux/types.h>

/* No rule applies (or FailOpen with no gateway: bypass): the packet goes on as if no policy selected it. */
#define EGP_ACTION_PASS 0
/* FailClosed with no live gateway: dropped at the node. */
#define EGP_ACTION_DROP 1
/* Forwarded to the gateway node: bpf_redirect_neigh to `nexthop` out of `ifindex`, past the CNI's masquerade. */
#define EGP_ACTION_STEER 2
/* This node is the gateway: the packet leaves here with `egress_ip` as its source (SNAT in BPF, egress_nat.h),
 * redirected out of `ifindex` (the uplink) by bpf_redirect_neigh, past the CNI's masquerade. ifindex 0: pass. */
#define EGP_ACTION_LOCAL 3

/* Pinned map names (BPF object names: at most 15 characters). */
#define EGP_POLICY4_MAP egp_policy4
#define EGP_POLICY6_MAP egp_policy6
#define EGP_CLUSTER4_MAP egp_cluster4
#define EGP_CLUSTER6_MAP egp_cluster6

#define EGP_POLICY_MAX_ENTRIES 524288
#define EGP_CLUSTER_MAX_ENTRIES 16384

struct egp_policy_key4 {
	__u32 prefixlen; /* 32 + destination prefix length */
	__u32 src;       /* pod address */
	__u32 dst;       /* destination network */
};

struct egp_policy_key6 {
	__u32 prefixlen; /* 128 + destination prefix length */
	__u8 src[16];
	__u8 dst[16];
};

struct egp_policy_value {
	__u32 action;        /* EGP_ACTION_* */
	__u32 ifindex;       /* STEER: the device towards the gateway node (uplink or VXLAN device); LOCAL: the uplink */
	__u8 nexthop[16];    /* STEER: the gateway node's address on that device (IPv4: first 4 bytes) */
	__u8 egress_ip[16];  /* LOCAL: the source to leave with (IPv4: first 4 bytes) */
};

struct egp_cluster_key4 {
	__u32 prefixlen;
	__u32 dst;
};

struct egp_cluster_key6 {
	__u32 prefixlen;
	__u8 dst[16];
};

/* Cluster destinations' value: always 1 (the key's presence is what counts). */
typedef __u8 egp_cluster_value;

/* NAT state of the gateway (egress_nat*.h): LRU hashes written by the programs, never by a sync. Ports and
 * addresses in network order, `last_seen` in host order (bpf_ktime_get_ns(): CLOCK_MONOTONIC, refreshed at most
 * once per EGP_NAT_TOUCH_NS). ICMP echo: the identifier is the port and the remote port is 0. The reverse entry
 * is written first (BPF_NOEXIST): it is what claims a port. The LRU evicts under pressure only; idle and stale
 * entries are removed by the agent (src/nat: sweepNat), which pairs the two directions: a forward value names the
 * egress IP and port, which with its key's remote, remote port and protocol is the reverse key; a reverse value
 * names the pod and pod port, which with its key's remote side is the forward key. src/nat/nat-layout.ts decodes
 * exactly these bytes; change both together. */
#define EGP_NAT4_FWD_MAP egp_nat4_fwd
#define EGP_NAT4_REV_MAP egp_nat4_rev
#define EGP_NAT6_FWD_MAP egp_nat6_fwd
#define EGP_NAT6_REV_MAP egp_nat6_rev
#define EGP_NAT_MAX_ENTRIES 262144
/* Translated ports when the pod's own is taken: EGP_NAT_PORT_TRIES probes in [MIN, MAX]. */
#define EGP_NAT_PORT_MIN 32768
#define EGP_NAT_PORT_MAX 60999
#define EGP_NAT_PORT_TRIES 32

struct egp_nat4_fwd_key {
	__u32 pod;          /* pod address */
	__u32 remote;       /* remote address */
	__u16 pod_port;
	__u16 remote_port;
	__u8 proto;         /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	__u8 pad[3];        /* zero */
};

struct egp_nat4_fwd_value {
	__u64 last_seen;    /* bpf_ktime_get_ns() of the last outbound packet */
	__u16 port;         /* the translated source port (ICMP: identifier) */
	__u8 pad[2];
	__u32 egress;       /* the egress IP it was translated to */
};

struct egp_nat4_rev_key {
	__u32 egress;       /* the egress IP */
	__u32 remote;
	__u16 port;         /* the translated port */
	__u16 remote_port;
	__u8 proto;
	__u8 pad[3];
};

struct egp_nat4_rev_value {
	__u64 last_seen;    /* bpf_ktime_get_ns() of the last packet either way (or of the claim) */
	__u32 pod;
	__u16 pod_port;
	__u8 pad[2];
};

struct egp_nat6_fwd_key {
	__u8 pod[16];
	__u8 remote[16];
	__u16 pod_port;
	__u16 remote_port;
	__u8 proto;         /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 */
	__u8 pad[3];
};

struct egp_nat6_fwd_value {
	__u64 last_seen;
	__u16 port;
	__u8 pad[6];
	__u8 egress[16];
};

struct egp_nat6_rev_key {
	__u8 egress[16];
	__u8 remote[16];
	__u16 port;
	__u16 remote_port;
	__u8 proto;
	__u8 pad[3];
};

struct egp_nat6_rev_value {
	__u64 last_seen;
	__u8 pod[16];
	__u16 pod_port;
	__u8 pad[6];
};

/* Traffic counters of the gateway's SNAT (egress_traffic.h), one entry per egress IP and family: per-CPU hashes,
 * so each CPU adds to its own copy without contention; the agent sums the copies (src/traffic). Keyed by the
 * egress IP (network order: 4 or 16 bytes). Entries are created by the first translated packet of an egress IP
 * and never by a sync; created with BPF_F_NO_PREALLOC, so memory follows the egress IPs in use, not the
 * capacity. src/traffic/traffic-layout.ts decodes exactly these bytes; change both together. */
#define EGP_TRAFFIC4_MAP egp_traffic4
#define EGP_TRAFFIC6_MAP egp_traffic6
#define EGP_TRAFFIC_MAX_ENTRIES 65536

struct egp_traffic_value {
	__u64 connections;  /* port claims: a new flow translated to this egress IP (egp_claim4/6) */
	__u64 bytes;        /* skb->len - ETH_HLEN (the IP packet, headers included) of each packet translated out */
};

#endif /* EGRESS_MAPS_H */
