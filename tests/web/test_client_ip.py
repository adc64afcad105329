from ipaddress import ip_network

from deliberate.web.security import client_ip

PROXIES = (ip_network("10.0.0.0/8"),)


def test_without_trusted_proxies_forwarding_headers_are_ignored() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", ()) == "203.0.113.9"


def test_forwarded_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", PROXIES) == "203.0.113.9"


def test_trusted_proxy_gives_the_client_address() -> None:
    assert client_ip("10.0.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"


def test_a_forged_leftmost_address_does_not_win() -> None:
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address.
    assert client_ip("10.0.0.2", "1.2.3.4, 198.51.100.7", PROXIES) == "198.51.100.7"
    assert client_ip("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", PROXIES) == "198.51.100.7"


def test_garbage_in_the_header_falls_back_to_the_peer() -> None:
    assert client_ip("10.0.0.2", "not-an-ip", PROXIES) == "10.0.0.2"
    assert client_ip(None, "1.2.3.4", PROXIES) is None
