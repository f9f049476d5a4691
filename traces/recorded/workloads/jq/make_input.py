"""Writes the JSON document the jq trace reads: orders of customers with
nested line items, deterministic (fixed seed).
Usage: python3 make_input.py [CUSTOMERS] > orders.json
"""
import json
import random
import sys

COUNTRIES = ["AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "IT", "NL", "NO", "PL", "PT", "SE"]
ITEMS = ["bolt", "cable", "drill", "filter", "gasket", "hinge", "lamp", "lever", "nut",
         "pump", "relay", "sensor", "spring", "switch", "valve", "washer"]


def customer(rng, i):
    orders = []
    for k in range(rng.randint(0, 8)):
        lines = [{"item": rng.choice(ITEMS), "qty": rng.randint(1, 20),
                  "price": round(rng.uniform(0.5, 120.0), 2)}
                 for _ in range(rng.randint(1, 6))]
        orders.append({"id": "%d-%d" % (i, k), "day": rng.randint(1, 365),
                       "paid": rng.random() < 0.8, "lines": lines})
    return {"id": i, "name": "customer %05d" % i, "country": rng.choice(COUNTRIES),
            "active": rng.random() < 0.7, "tags": rng.sample(ITEMS, rng.randint(0, 3)),
            "orders": orders}


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = random.Random(4242)
    json.dump([customer(rng, i) for i in range(count)], sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
