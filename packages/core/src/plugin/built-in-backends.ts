// `--backend` names of the backends this project ships, and the packages that implement them. They are
// loaded exactly like third-party plugins (by importing the package), which keeps that path proven.
export const BUILT_IN_BACKENDS: Readonly<Record<string, string>> = {
  iptables: '@egress-proxier/backend-iptables',
  nftables: '@egress-proxier/backend-nftables',
  ipvs: '@egress-proxier/backend-ipvs',
  ebpf: '@egress-proxier/backend-ebpf-loader',
  calico: '@egress-proxier/backend-calico',
};
