#!/usr/bin/env python3
"""Prints one visitor token per browser of bench/identify.lua's population, one per line
(browser i on line i): each browser's first identify, sent the way identify.lua builds it, so
that bench/identify.lua (with TOKENS) can replay the population as returning browsers that kept
their token.

    python3 bench/tokens.py URL BROWSERS > tokens.txt      (ARGUS_PK, ARGUS_PS, COMPONENTS as for wrk)
"""
import http.client
import json
import os
import re
import sys
from urllib.parse import urlparse


def body(components: str, pk: str, i: int) -> str:
    # The same substitutions as identify.lua's init (Lua's gsub with a count of 1 for the width).
    c = re.sub(r'"canvas":"[0-9a-f]+"', '"canvas":"%016x"' % i, components)
    c = re.sub(r'"width":\d+', '"width":%d' % (1280 + (i % 7) * 160), c, count=1)
    return '{"v":1,"publicKey":"%s","token":null,"url":"https://shop.example/","components":%s}' % (pk, c)


def ip(i: int) -> str:
    return "%d.%d.%d.%d" % (11 + i % 180, (i * 7) % 256, (i * 13) % 256, 1 + i % 250)


def main() -> None:
    url, n = urlparse(sys.argv[1]), int(sys.argv[2])
    pk, ps = os.environ["ARGUS_PK"], os.environ["ARGUS_PS"]
    components = open(os.environ.get("COMPONENTS", "bench/components.json")).read()
    conn = http.client.HTTPConnection(url.hostname, url.port)
    for i in range(1, n + 1):
        headers = {"Content-Type": "text/plain;charset=UTF-8", "FPJS-Proxy-Secret": ps, "FPJS-Proxy-Client-IP": ip(i)}
        conn.request("POST", "/v1/identify", body(components, pk, i).encode(), headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200 or "token" not in answer:
            sys.exit(f"browser {i}: HTTP {response.status} {answer}")
        print(answer["token"])


if __name__ == "__main__":
    main()
