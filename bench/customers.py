#!/usr/bin/env python3
"""JSON lines of N customers for `connectd import customers` (bench/run.sh): customer numbers
FIRST .. FIRST+N-1, each with a name, an e-mail, a phone number and a home address, written to
stdout so the import streams them. Usage: customers.py FIRST N"""

import json
import sys

FIRST_NAMES = ["Kari", "Ola", "Ingrid", "Lars", "Nora", "Emil", "Sofie", "Jakob"]
LAST_NAMES = ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakken"]
STREETS = ["Grubbegata", "Storgata", "Kirkeveien", "Bryggen", "Munkegata"]


def main():
    first, n = int(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    for i in range(first, first + n):
        given, family = FIRST_NAMES[i % 8], LAST_NAMES[(i // 8) % 8]
        out.write(json.dumps({
            "customerNumber": i, "firstName": given, "lastName": family,
            "emails": ["%s.%s.%d@example.no" % (given.lower(), family.lower(), i)],
            "phoneNumbers": ["+479%07d" % (i % 10 ** 7)],
            "address": {"streetAddress": STREETS[i % 5], "streetNumber": i % 200 + 1,
                        "postalCode": "%04d" % (i % 9000 + 1000), "postalPlace": "Oslo", "countryCode": "NO"},
        }, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
