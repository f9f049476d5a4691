# The jq trace's filter: per-country revenue of active customers, the best
# items, and the customers with unpaid orders, as one report object.
def revenue: [.orders[] | select(.paid) | .lines[] | .qty * .price] | add // 0;

map(select(.active) | . + {revenue: revenue})
| {
    countries: (group_by(.country)
                | map({country: .[0].country, customers: length,
                       revenue: (map(.revenue) | add * 100 | round / 100)})
                | sort_by(-.revenue)),
    items: ([.[].orders[].lines[]] | group_by(.item)
            | map({item: .[0].item, qty: (map(.qty) | add)}) | sort_by(-.qty) | .[:5]),
    unpaid: [.[] | select(any(.orders[]; .paid | not)) | .name] | length,
    names: (map(.name | ascii_upcase | split(" ") | join("_")) | sort | .[:3])
  }
