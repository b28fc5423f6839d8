// SPDX-License-Identifier: GPL-2.0
/* Never loaded. The maps are declared by size (egress_classify.c: reading BTF-typed maps back needs
 * CAP_SYS_ADMIN), so this object is what carries the map layouts of egress_maps.h as BTF: tests read the struct
 * members' offsets from it and check the TypeScript encoders and decoders (src/maps, src/nat) against them. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../egress_maps.h"

struct egp_layouts {
	struct egp_policy_key4 policy_key4;
	struct egp_policy_key6 policy_key6;
	struct egp_policy_value policy_value;
	struct egp_cluster_key4 cluster_key4;
	struct egp_cluster_key6 cluster_key6;
	struct egp_nat4_fwd_key nat4_fwd_key;
	struct egp_nat4_fwd_value nat4_fwd_value;
	struct egp_nat4_rev_key nat4_rev_key;
	struct egp_nat4_rev_value nat4_rev_value;
	struct egp_nat6_fwd_key nat6_fwd_key;
	struct egp_nat6_fwd_value nat6_fwd_value;
	struct egp_nat6_rev_key nat6_rev_key;
	struct egp_nat6_rev_value nat6_rev_value;
	struct egp_traffic_value traffic_value;
};

struct egp_layouts egp_layouts SEC(".data.layouts");

char LICENSE[] SEC("license") = "GPL";
