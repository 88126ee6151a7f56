"""The alerts rule and the sessionizer of the TypeScript pipelines, in plain Python.

The peer rows of `npm run bench` run these inside Python Beam pipelines
(alerts.py, sessionize.py); test/bench/python-rules.test.ts runs this module
directly (`python3 rules.py alerts|conversations FILE`) and checks that it
agrees with the TypeScript code on the same file. Ports of:
transforms/core/validate.ts (normalizeRow), schemas/timestamp.ts,
transforms/playback/alerts.ts, transforms/conversations/records.ts and
combine.ts. No Beam import here, so the check needs no virtual environment.
"""
import hashlib
import json
import sys

MAX_SAFE_INTEGER = 2**53 - 1
MICROS_PER_DAY = 86_400_000_000
BUFFER_THRESHOLD_MS = 4000


class Rejected(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _days_from_civil(year, month, day):
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(year, month):
    if month != 2:
        return 30 if month in (4, 6, 9, 11) else 31
    return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28


def _digits(text, at, count):
    part = text[at:at + count]
    return int(part) if len(part) == count and part.isascii() and part.isdigit() else -1


def parse_timestamp(text):
    """Epoch microseconds of 'YYYY-MM-DD HH:MM:SS' or ISO-8601 (UTC unless a zone is given), or None."""
    n = len(text)
    if n < 19 or text[4] != "-" or text[7] != "-" or text[10] not in "T " or text[13] != ":" or text[16] != ":":
        return None
    year, month, day = _digits(text, 0, 4), _digits(text, 5, 2), _digits(text, 8, 2)
    hour, minute, second = _digits(text, 11, 2), _digits(text, 14, 2), _digits(text, 17, 2)
    if year < 1 or not 1 <= month <= 12 or day < 1 or day > _days_in_month(year, month):
        return None
    if not 0 <= hour <= 23 or not 0 <= minute <= 59 or not 0 <= second <= 59:
        return None
    at, fraction = 19, 0
    if at < n and text[at] == ".":
        at += 1
        start = at
        while at < n and at - start < 9 and text[at].isascii() and text[at].isdigit():
            at += 1
        if at == start:
            return None
        fraction = int((text[start:at] + "00000")[:6])
    offset = 0
    if at < n:
        zone = text[at]
        if zone == "Z" and at + 1 == n:
            pass
        elif zone in "+-":
            colon = 1 if text[at + 3:at + 4] == ":" else 0
            zh, zm = _digits(text, at + 1, 2), _digits(text, at + 3 + colon, 2)
            if at + 5 + colon != n or not 0 <= zh <= 23 or not 0 <= zm <= 59:
                return None
            offset = (-1 if zone == "-" else 1) * (zh * 60 + zm)
        else:
            return None
    minutes = (_days_from_civil(year, month, day) * 24 + hour) * 60 + minute - offset
    return minutes * 60_000_000 + second * 1_000_000 + fraction


def _read(name, kind, required, value, minimum=None, allowed=None):
    if value is None:
        if required:
            raise Rejected("missing_field")
        return None
    if kind == "INT64":
        # JSON's 1.0 is JavaScript's integer 1; booleans are not numbers there.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Rejected("wrong_type")
        if isinstance(value, float):
            if not value.is_integer():
                raise Rejected("wrong_type")
            value = int(value)
        if abs(value) > MAX_SAFE_INTEGER:
            raise Rejected("wrong_type")
        if minimum is not None and value < minimum:
            raise Rejected("out_of_range")
        return value
    if kind == "STRING":
        if not isinstance(value, str):
            raise Rejected("wrong_type")
        if allowed is not None and value not in allowed:
            raise Rejected("not_allowed")
        return value
    if kind == "BOOL":
        if not isinstance(value, bool):
            raise Rejected("wrong_type")
        return value
    if kind == "TIMESTAMP":
        micros = parse_timestamp(value) if isinstance(value, str) else None
        if micros is None:
            raise Rejected("bad_timestamp")
        return micros
    raise ValueError(kind)


def normalize(value, fields):
    """The record's fields read against (name, type, required, min, allowed) specs, or Rejected."""
    if not isinstance(value, dict):
        raise Rejected("not_object")
    return {f[0]: _read(f[0], f[1], f[2], value.get(f[0]), *f[3:]) for f in fields}


def parse_json(line):
    try:
        return json.loads(line)
    except ValueError:
        raise Rejected("invalid_json")


# schemas/playback.ts
PLAYBACK_FIELDS = [
    ("event_id", "INT64", True, 0), ("session_id", "INT64", True, 0), ("user_id", "INT64", True, 0),
    ("movie_id", "INT64", True, 0), ("event_type", "STRING", True, None, ("start", "buffer", "error", "stop")),
    ("event_timestamp", "TIMESTAMP", True), ("buffer_duration_ms", "INT64", False, 0),
    ("bitrate_kbps", "INT64", False, 0), ("city", "STRING", False), ("isp", "STRING", False), ("country", "STRING", False),
]


def decode_playback(line):
    return normalize(parse_json(line), PLAYBACK_FIELDS)


def is_alert(event, threshold_ms=BUFFER_THRESHOLD_MS):
    buffered = event["buffer_duration_ms"]
    return event["event_type"] == "error" or (buffered is not None and buffered > threshold_ms)


def alert_row(event):
    return dict(event, run_date=event["event_timestamp"] // MICROS_PER_DAY)


# schemas/conversations.ts
MESSAGE_FIELDS = [
    ("senderAppType", "STRING", True), ("courierId", "INT64", True, 0), ("customerId", "INT64", True, 0),
    ("fromId", "INT64", True, 0), ("toId", "INT64", True, 0), ("chatStartedByMessage", "BOOL", False),
    ("orderId", "INT64", True, 0), ("orderStage", "STRING", True), ("messageSentTime", "TIMESTAMP", True),
]
ORDER_FIELDS = [("orderId", "INT64", True, 0), ("cityCode", "STRING", True)]


def _text(value):
    """A value as JavaScript's Array.join writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode_conversation_record(line):
    """('message', fields) or ('order', fields), or Rejected: transforms/conversations/records.ts."""
    value = parse_json(line)
    if isinstance(value, dict) and ("senderAppType" in value or "messageSentTime" in value or "fromId" in value):
        m = normalize(value, MESSAGE_FIELDS)
        words = m["senderAppType"].split()
        role = words[0].lower() if words else ""
        if role not in ("courier", "customer"):
            raise Rejected("unknown_sender_app")
        own, other = (m["courierId"], m["customerId"]) if role == "courier" else (m["customerId"], m["courierId"])
        if m["fromId"] != own:
            raise Rejected("sender_mismatch" if m["fromId"] == other else "unknown_sender_id")
        canonical = "|".join(_text(m[k]) for k in (
            "orderId", "fromId", "toId", "courierId", "customerId", "senderAppType", "messageSentTime", "orderStage", "chatStartedByMessage"))
        digest = hashlib.md5(canonical.encode("utf-8")).hexdigest()
        message_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"
        return "message", {"order_id": m["orderId"], "role": role, "time": m["messageSentTime"], "id": message_id, "stage": m["orderStage"]}
    o = normalize(value, ORDER_FIELDS)
    if o["cityCode"].strip() == "":
        raise Rejected("missing_field")
    return "order", {"order_id": o["orderId"], "city_code": o["cityCode"]}


def empty_conversation():
    return {"order_id": -1, "city_code": None, "first_courier": None, "first_customer": None, "courier_keys": set(),
            "customer_keys": set(), "first": None, "first_role": None, "last": None, "last_stage": None}


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def add_record(acc, record):
    """transforms/conversations/combine.ts addRecord: (time, message id) orders first and last."""
    kind, r = record
    if acc["order_id"] < 0:
        acc["order_id"] = r["order_id"]
    if kind == "order":
        acc["city_code"] = _min(acc["city_code"], r["city_code"])
        return acc
    key = int(r["id"][:8] + r["id"][9:13], 16)
    if r["role"] == "courier":
        acc["first_courier"] = _min(acc["first_courier"], r["time"])
        acc["courier_keys"].add(key)
    else:
        acc["first_customer"] = _min(acc["first_customer"], r["time"])
        acc["customer_keys"].add(key)
    at = (r["time"], r["id"])
    if acc["first"] is None or at < acc["first"]:
        acc["first"], acc["first_role"] = at, r["role"]
    if acc["last"] is None or acc["last"] < at:
        acc["last"], acc["last_stage"] = at, r["stage"]
    return acc


def merge_conversations(accumulators):
    merged = empty_conversation()
    for acc in accumulators:
        if merged["order_id"] < 0:
            merged["order_id"] = acc["order_id"]
        merged["city_code"] = _min(merged["city_code"], acc["city_code"])
        merged["first_courier"] = _min(merged["first_courier"], acc["first_courier"])
        merged["first_customer"] = _min(merged["first_customer"], acc["first_customer"])
        merged["courier_keys"] |= acc["courier_keys"]
        merged["customer_keys"] |= acc["customer_keys"]
        if acc["first"] is not None and (merged["first"] is None or acc["first"] < merged["first"]):
            merged["first"], merged["first_role"] = acc["first"], acc["first_role"]
        if acc["last"] is not None and (merged["last"] is None or merged["last"] < acc["last"]):
            merged["last"], merged["last_stage"] = acc["last"], acc["last_stage"]
    return merged


def conversation_row(acc):
    """The customer_courier_conversations row, or None for an order without messages."""
    if acc["first"] is None:
        return None
    first_time = acc["first"][0]
    answer = acc["first_customer"] if acc["first_role"] == "courier" else acc["first_courier"]
    return {
        "order_id": acc["order_id"], "city_code": acc["city_code"],
        "first_courier_message": acc["first_courier"], "first_customer_message": acc["first_customer"],
        "num_messages_courier": len(acc["courier_keys"]), "num_messages_customer": len(acc["customer_keys"]),
        "first_message_by": acc["first_role"], "conversation_started_at": first_time,
        "first_responsetime_delay_seconds": None if answer is None else (answer - first_time) // 1_000_000,
        "last_message_time": acc["last"][0], "last_message_order_stage": acc["last_stage"],
        "run_date": first_time // MICROS_PER_DAY,
    }


def _summarize_file(kind, path):
    """What the equality check compares, computed without Beam (for the test)."""
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip() != ""]
    if kind == "alerts":
        alerts = dead = 0
        for line in lines:
            try:
                alerts += is_alert(decode_playback(line))
            except Rejected:
                dead += 1
        return {"alerts": alerts, "dead_letters": dead}
    by_order, dead = {}, 0
    for line in lines:
        try:
            record = decode_conversation_record(line)
        except Rejected:
            dead += 1
            continue
        acc = by_order.setdefault(record[1]["order_id"], empty_conversation())
        add_record(acc, record)
    rows = [r for r in (conversation_row(a) for a in by_order.values()) if r is not None]
    return {"rows": sorted(rows, key=lambda r: r["order_id"]), "dead_letters": dead}


if __name__ == "__main__":
    json.dump(_summarize_file(sys.argv[1], sys.argv[2]), sys.stdout)
