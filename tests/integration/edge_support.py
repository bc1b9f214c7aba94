#!/usr/bin/python3
"""The shipped NGINX edge (deploy/nginx/videocontrol-lb.conf) made runnable on loopback by a test:
a throwaway self-signed certificate (openssl CLI), the TLS server and the port-80 redirect server on
free ports, the installed paths (certificate, key, operator-network include) pointed at temp files.

Used by test_cluster.py (and through it bench/cluster_latency.py) and test_accel_redirect.py.
Only the standard library and the `openssl` command.
"""

import http.client
import os
import re
import ssl
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LB_CONF = os.path.join(ROOT, "deploy", "nginx", "videocontrol-lb.conf")
OPERATOR_NETWORK_CONF = os.path.join(ROOT, "deploy", "nginx", "operator-network.conf")
OPERATOR_INCLUDE = "/etc/nginx/snippets/videocontrol-operator-network.conf"  # as in the shipped file


def make_certificate(directory, names=("localhost",), addresses=("127.0.0.1",)):
    """A self-signed EC (P-256) certificate and key in `directory`; returns (cert_path, key_path).
    The certificate is its own CA: clients trust it by loading cert_path as the CA file."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    san = ",".join(["DNS:%s" % n for n in names] + ["IP:%s" % a for a in addresses])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-subj", "/CN=%s" % names[0], "-addext", "subjectAltName=" + san,
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    os.chmod(key, 0o600)
    return cert, key


def site_config(conf, https_listen, http_listen, cert, key, operator_include, https_port=None):
    """The shipped site config with the TLS server listening on each of `https_listen` (addr:port),
    the redirect server on each of `http_listen`, and the installed paths replaced. With https_port,
    the redirect names that port (the shipped one goes to 443)."""

    def swap(text, old, new):
        if old not in text:
            raise AssertionError("shipped nginx config changed: %r not found" % old)
        return text.replace(old, new)

    conf = swap(conf, "listen 443 ssl http2;", " ".join("listen %s ssl http2;" % a for a in https_listen))
    conf = swap(conf, "listen 80;", " ".join("listen %s;" % a for a in http_listen))
    conf, n = re.subn(r"(\n\s*ssl_certificate\s+)[^;]+;", r"\g<1>%s;" % cert, conf)
    conf, m = re.subn(r"(\n\s*ssl_certificate_key\s+)[^;]+;", r"\g<1>%s;" % key, conf)
    if (n, m) != (1, 1):
        raise AssertionError("shipped nginx config: expected one ssl_certificate and one ssl_certificate_key")
    conf = swap(conf, "include %s;" % OPERATOR_INCLUDE, "include %s;" % operator_include)
    if https_port is not None:
        conf = swap(conf, "return 301 https://$host$request_uri;", "return 301 https://$host:%d$request_uri;" % https_port)
    return conf


def client_context(cafile):
    """A client TLS context that trusts only `cafile` and checks the host name/address."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def https_connection(host, port, cafile, timeout=15.0, context=None):
    return http.client.HTTPSConnection(host, port, timeout=timeout, context=context or client_context(cafile))
