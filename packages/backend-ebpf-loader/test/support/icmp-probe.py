# What a pod's kernel and sockets see of ICMP, for the SNAT tests (run inside a pod namespace, as root):
#   echo FAMILY LOCAL HOST ID TTL            an echo request with identifier ID and TTL (hop limit) from a raw
#                                            socket; prints the echo reply, or the ICMP error about our request
#   udp-raw FAMILY LOCAL HOST PORT SPORT TTL a UDP datagram from SPORT with a full checksum (raw socket, so that no
#                                            offload leaves it partial); prints the ICMP error about it
#   udp-socket FAMILY HOST PORT TTL SIZE     a SIZE-byte datagram, never fragmented (IP_PMTUDISC_DO), from a
#                                            connected UDP socket with IP_RECVERR; prints the error the kernel
#                                            queued on that socket (it matches an error to a socket by the
#                                            embedded header, so this proves its translation)
# FAMILY is 4 or 6, LOCAL the pod's address (for the checksums' pseudo-headers). Prints one JSON object; every
# checksum of what arrived is verified here (veths mark packets as checked, so the pod's kernel would not).
# Exits 1 with a reason on timeout.
import json
import select
import socket
import struct
import sys
import time

TIMEOUT = 3.0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total >> 16) + (total & 0xFFFF)
    return ~total & 0xFFFF


def pseudo(family, src, dst, proto, length):
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    s, d = socket.inet_pton(af, src), socket.inet_pton(af, dst)
    if family == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


def text(family, raw):
    return socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, raw)


ICMP = {4: socket.IPPROTO_ICMP, 6: socket.IPPROTO_ICMPV6}
ECHO_REQUEST, ECHO_REPLY = {4: 8, 6: 128}, {4: 0, 6: 129}
ERRORS = {4: (3, 11, 12), 6: (1, 2, 3, 4)}


def icmp_socket(family, ttl):
    s = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, socket.SOCK_RAW, ICMP[family])
    set_ttl(s, family, ttl)
    return s


def set_ttl(s, family, ttl):
    if family == 4:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)


def receive(s, family, local, wanted):
    """ICMP messages until wanted(message) returns a result; each message is parsed and checksum-checked."""
    end = time.time() + TIMEOUT
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data, peer = s.recvfrom(4096)
        except socket.timeout:
            break
        if family == 4:
            icmp = data[(data[0] & 15) * 4:]
            ok = csum(icmp) == 0
        else:
            icmp = data
            ok = csum(pseudo(6, peer[0], local, 58, len(icmp)) + icmp) == 0
        message = {"from": peer[0], "type": icmp[0], "code": icmp[1], "checksums": {"icmp": ok}}
        if icmp[0] in ERRORS[family]:
            message.update(inner(family, icmp[8:], message["checksums"]))
        result = wanted(message, icmp)
        if result is not None:
            return result
    sys.exit("no answer within %.0f s" % TIMEOUT)


def inner(family, packet, checksums):
    """The embedded packet of an error: addresses, protocol, source port (echo: identifier), its checksums."""
    if family == 4:
        ihl = (packet[0] & 15) * 4
        proto, src, dst = packet[9], text(4, packet[12:16]), text(4, packet[16:20])
        checksums["innerIp"] = csum(packet[:ihl]) == 0
        l4 = packet[ihl:]
    else:
        proto, src, dst = packet[6], text(6, packet[8:24]), text(6, packet[24:40])
        l4 = packet[40:]
    result = {"innerSource": src, "innerDestination": dst, "innerProtocol": proto}
    if proto == ICMP[family]:
        result["innerPort"] = struct.unpack("!H", l4[4:6])[0]
        whole = l4 if family == 4 else pseudo(6, src, dst, 58, len(l4)) + l4
        checksums["innerL4"] = csum(whole) == 0
    elif proto == socket.IPPROTO_UDP:
        result["innerPort"] = struct.unpack("!H", l4[0:2])[0]
        length = struct.unpack("!H", l4[4:6])[0]
        if len(l4) >= length:  # the whole datagram came back: its checksum can be checked
            checksums["innerL4"] = csum(pseudo(family, src, dst, 17, length) + l4[:length]) == 0
    return result


def echo(family, local, host, ident, ttl):
    s = icmp_socket(family, ttl)
    body = struct.pack("!BBHHH", ECHO_REQUEST[family], 0, 0, ident, 1) + b"egress-proxier!!"
    if family == 4:  # the kernel computes ICMPv6's checksum (it needs the pseudo-header)
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s.sendto(body, (host, 0))

    def wanted(message, icmp):
        if message["type"] == ECHO_REPLY[family] and struct.unpack("!H", icmp[4:6])[0] == ident:
            return dict(message, kind="reply")
        if "innerSource" in message and message.get("innerProtocol") == ICMP[family]:
            return dict(message, kind="error")
        return None

    return receive(s, family, local, wanted)


def udp_raw(family, local, host, port, sport, ttl):
    listener = icmp_socket(family, ttl)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    s = socket.socket(af, socket.SOCK_RAW, socket.IPPROTO_UDP)
    set_ttl(s, family, ttl)
    payload = b"egress-proxier udp probe"
    header = struct.pack("!HHHH", sport, port, 8 + len(payload), 0)
    check = csum(pseudo(family, local, host, 17, 8 + len(payload)) + header + payload) or 0xFFFF
    s.sendto(header[:6] + struct.pack("!H", check) + payload, (host, 0))

    def wanted(message, _icmp):
        if message.get("innerProtocol") == socket.IPPROTO_UDP and message.get("innerPort") == sport:
            return dict(message, kind="error")
        return None

    return receive(listener, family, local, wanted)


def udp_socket(family, host, port, ttl, size):
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    s = socket.socket(af, socket.SOCK_DGRAM)
    level, option = (socket.IPPROTO_IP, 11) if family == 4 else (socket.IPPROTO_IPV6, 25)  # IP(V6)_RECVERR
    s.setsockopt(level, option, 1)
    s.setsockopt(level, 10 if family == 4 else 23, 2)  # IP(V6)_MTU_DISCOVER = IP(V6)_PMTUDISC_DO
    set_ttl(s, family, ttl)
    s.connect((host, port))
    s.send(b"x" * size)
    poller = select.poll()
    poller.register(s, select.POLLERR)
    if not poller.poll(TIMEOUT * 1000):
        sys.exit("no error queued within %.0f s" % TIMEOUT)
    _, ancillary, _, _ = s.recvmsg(512, 512, socket.MSG_ERRQUEUE)
    for cmsg_level, cmsg_type, data in ancillary:
        if (cmsg_level, cmsg_type) == (level, option):
            errno, origin, kind, code, _, info = struct.unpack("=IBBBBI", data[:12])
            offender = data[16:]
            address = offender[4:8] if family == 4 else offender[8:24]
            return {
                "errno": errno,
                "origin": origin,
                "type": kind,
                "code": code,
                "info": info,
                "offender": text(family, address),
                "localPort": s.getsockname()[1],
            }
    sys.exit("an error was queued without IP_RECVERR data")


mode, args = sys.argv[1], sys.argv[2:]
family = int(args[0])
if mode == "echo":
    out = echo(family, args[1], args[2], int(args[3]), int(args[4]))
elif mode == "udp-raw":
    out = udp_raw(family, args[1], args[2], int(args[3]), int(args[4]), int(args[5]))
elif mode == "udp-socket":
    out = udp_socket(family, args[1], int(args[2]), int(args[3]), int(args[4]))
else:
    sys.exit("unknown mode " + mode)
print(json.dumps(out))
