// fwmark bits other components own on a Kubernetes node: our mask must stay clear of them.

/** Bits kube-proxy always uses (masquerade 0x4000, drop 0x8000): a mask touching them is refused. */
export const KUBE_PROXY_MARK_BITS = 0x0000c000;
/** Calico's default IptablesMarkMask; the default mask stays clear of it (a Calico with another mask may allow more). */
export const CALICO_DEFAULT_MARK_BITS = 0xffff0000 >>> 0;
