#!/usr/bin/env python3
"""Benchmark peer: what the replaced Python script did, for a whole fleet.

For each [[host]] of an ipmi-sel inventory (Supermicro kind): POST
/cgi/login.cgi, POST /cgi/ipmi.cgi SEL_INFO.XML=(1,c0), GET /cgi/logout.cgi,
and report records whose 11th byte is 0x13 (no other decoding), using a
thread pool of --concurrency workers (stdlib only: urllib + tomllib).

    BMC_SIM_PASSWORD=ADMIN python3 poll_fleet.py fleet.toml --concurrency 100
"""
import argparse
import concurrent.futures as cf
import os
import sys
import tomllib
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def poll(host):
    url = host["url"].rstrip("/")
    pw = os.environ[host["password_env"]]
    op = urllib.request.build_opener()
    data = urllib.parse.urlencode({"name": host["user"], "pwd": pw}).encode()
    r = op.open(url + "/cgi/login.cgi", data, timeout=20)
    r.read()
    # The SID cookie is marked `secure`; send it back by hand like a browser
    # on the BMC's page would.
    sid = next(c.split(";")[0] for c in r.headers.get_all("Set-Cookie") if c.startswith("SID="))
    op.addheaders = [("Cookie", sid)]
    data = urllib.parse.urlencode({"SEL_INFO.XML": "(1,c0)"}).encode()
    body = op.open(url + "/cgi/ipmi.cgi", data, timeout=20).read()
    op.open(url + "/cgi/logout.cgi", timeout=20).read()
    hits = []
    for sel in ET.fromstring(body).iter("SEL"):
        rd = sel.get("SEL_RD")
        if rd and rd[20:22] == "13":
            hits.append(sel.get("TIME"))
    return host["name"], hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inventory")
    ap.add_argument("--concurrency", type=int, default=100)
    a = ap.parse_args()
    with open(a.inventory, "rb") as f:
        hosts = tomllib.load(f)["host"]
    n = 0
    with cf.ThreadPoolExecutor(a.concurrency) as ex:
        for name, hits in ex.map(poll, hosts):
            n += len(hits)
    print(f"{len(hosts)} hosts, {n} PCI records", file=sys.stderr)


if __name__ == "__main__":
    main()
