"""Every default of the client, in one place."""

from __future__ import annotations

from typing import Final

import httpx

from ._version import __version__

#: Where the client talks to when neither ``base_url`` nor ``LEGITHEALTH_BASE_URL`` says otherwise.
DEFAULT_BASE_URL: Final = "https://api.legit.health/integration/v1"
ENV_API_TOKEN: Final = "LEGITHEALTH_API_TOKEN"  # noqa: S105 - a variable name
#: ``legithealth sync --token-file``: a larger file is refused (not a token; never read whole).
TOKEN_FILE_MAX_BYTES: Final = 4096
ENV_BASE_URL: Final = "LEGITHEALTH_BASE_URL"
API_TOKEN_HEADER: Final = "X-API-TOKEN"  # noqa: S105 - a header name
USER_AGENT: Final = f"legithealth-async/{__version__}"

#: Never "no timeout": connect, read, write and pool each have a bound.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=60.0)
#: Retries after the first attempt (so up to 1 + DEFAULT_MAX_RETRIES attempts).
DEFAULT_MAX_RETRIES: Final = 4
#: Requests in flight per client; the httpx pool is sized to match, so no PoolTimeout under load.
DEFAULT_MAX_IN_FLIGHT: Final = 64
DEFAULT_KEEPALIVE_EXPIRY: Final = 30.0
#: The transport a client makes for itself: "auto" ("asyncio", the lean HTTP/1.1 pool, on
#: asyncio; httpx's sharded pools on trio or with HTTP/2), "asyncio" or "httpx" (_transports/).
DEFAULT_TRANSPORT: Final = "auto"
#: Connections per pool of the default transport (httpcore's per-request cost grows with the
#: square of a pool's size; see _transports/sharded.py).
POOL_SHARD_SIZE: Final = 4

#: One attempt's total deadline (send, wait, read the whole answer) when none is given:
#: connect + write + ATTEMPT_DEADLINE_READS x read (95 s with the default timeouts). The read
#: timeout bounds each chunk, so without it a server dribbling a byte at a time never ends.
ATTEMPT_DEADLINE_READS: Final = 2.0

#: Exponential backoff: BACKOFF_INITIAL * 2**(n-1), capped at BACKOFF_MAX, times a random factor
#: in [1 - BACKOFF_JITTER, 1].
BACKOFF_INITIAL: Final = 0.5
BACKOFF_MAX: Final = 8.0
BACKOFF_JITTER: Final = 0.25
#: A Retry-After longer than this is not slept through: RateLimitError carries the delay instead.
RETRY_AFTER_CAP: Final = 60.0

#: Statuses retried for every operation (a create only after reconciling, except 429).
RETRYABLE_STATUSES: Final = frozenset({429, 502, 503, 504})
#: Statuses retried only for operations that are safe to repeat (reads, idempotent patches).
RETRYABLE_STATUSES_IDEMPOTENT: Final = frozenset({500, 502, 503, 504, 429})

#: The API's limit of ids per getPatients / auth-tokens request.
MAX_IDS_PER_REQUEST: Final = 100
#: The query string of one getPatients request stays under this many bytes (URL-encoded).
MAX_QUERY_BYTES: Final = 6000
#: The spec's bound on an external id.
MAX_EXTERNAL_ID_LENGTH: Final = 255
#: A response body larger than this, decoded (a gzip bomb inflates 170x), is refused: a hostile
#: or broken server cannot exhaust memory.
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
#: Decoded answer bytes held at once across every answer being read in the process
#: (``_budget``): sixteen gzip bombs read together hold this much, not 16 x MAX_RESPONSE_BYTES.
MAX_DECODED_BYTES_IN_FLIGHT: Final = 64 * 1024 * 1024
#: The most bytes of header names and values an answer may have (the asyncio transport).
MAX_RESPONSE_HEADER_BYTES: Final = 64 * 1024

#: Headers a server may use for its request id, in order of preference.
REQUEST_ID_HEADERS: Final = ("x-request-id", "request-id", "x-amzn-requestid")

#: The documented login link.
LOGIN_LINK_BASE: Final = "https://app.legit.health/u/home"

LOGGER_NAME: Final = "legithealth_async"
#: The environment variable that turns the library's own log lines on without any logging setup
#: (``info`` or ``debug``), and the format of those lines on stderr.
LOG_ENV: Final = "LEGITHEALTH_LOG"
LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: OpenTelemetry: the only headers a traced request may carry for its trace (W3C Trace Context;
#: never baggage, which can carry anything), and only with ``telemetry.instrument(propagate=True)``.
PROPAGATED_HEADERS: Final = frozenset({"traceparent", "tracestate"})

#: Bulk sync: records in flight at once, and how far it reads ahead of what it has yielded
#: (SYNC_READ_AHEAD_PER_RECORD x concurrency, at least SYNC_MIN_READ_AHEAD).
SYNC_CONCURRENCY: Final = 16
SYNC_READ_AHEAD_PER_RECORD: Final = 8
SYNC_MIN_READ_AHEAD: Final = 256
#: Journal commits: every this many outcomes, or when the oldest pending one is this old (s).
SYNC_COMMIT_EVERY: Final = 100
SYNC_COMMIT_AFTER: Final = 1.0
#: Duplicate external ids are detected among the last this many records (at least the window):
#: bounded memory for any input length; a repeat further apart is synced again (idempotent).
SYNC_DUPLICATE_MEMORY: Final = 8192
#: The sync's rate pacer (sync/pacing.py): it lowers the rate when, among the answers of the last
#: PACER_SPAN seconds, at least PACER_THRESHOLD of them and PACER_MIN_THROTTLED are 429s, to
#: PACER_DECREASE x the accepted rate, the peak; then raises it as peak·(1 + PACER_GROWTH·(t-K)³)
#: (back at the peak after K = ∛((1 - PACER_DECREASE) / PACER_GROWTH) ≈ 5.8 s).
PACER_SPAN: Final = 1.0
PACER_THRESHOLD: Final = 0.05
PACER_MIN_THROTTLED: Final = 4
PACER_DECREASE: Final = 0.9
PACER_GROWTH: Final = 0.0005
PACER_MIN_SPAN: Final = 0.1
PACER_MIN_RATE: Final = 1.0
#: How long a journal write waits for another process holding the journal (ms).
SYNC_JOURNAL_BUSY_TIMEOUT_MS: Final = 5000
#: Sync input: the largest ``frequency.every`` either reader accepts (CSV and JSONL alike).
SYNC_MAX_FREQUENCY_EVERY: Final = 9999
#: Sync input: a CSV row spanning more physical lines than this is taken for an unmatched quote
#: swallowing the rows after it, and refused line by line.
SYNC_CSV_MAX_ROW_LINES: Final = 8
#: A JSONL line nested deeper than this (arrays/objects) is refused alone; a record nests ~3.
SYNC_MAX_JSON_DEPTH: Final = 32
#: The sync's circuit breaker (sync/breaker.py): the run stops when this many requests in a row
#: (a batch lookup counts once) failed to reach the server or got a 5xx, or when every request
#: that ended in the last SYNC_BREAKER_SECONDS (at least two) did.
SYNC_BREAKER_FAILURES: Final = 20
SYNC_BREAKER_SECONDS: Final = 20.0
#: The sync's slow start: it begins with at most this many records at once, one more for each
#: answer accepted (doubling each round trip) up to its concurrency, pausing while 429s come
#: and the pacer has not yet found the rate limit.
SYNC_SLOW_START: Final = 16
#: Workers per slot of the sync's concurrency: a record waiting out a retry's backoff gives its
#: slot to another worker meanwhile.
SYNC_WORKERS_PER_SLOT: Final = 2
#: FHIR input (legithealth_async.fhir): the ICD-11 codes sent by default, as code prefixes and
#: ranges of them: the skin chapter (EA-EM) and the skin cancers (2C30-2C32; an assumption).
FHIR_SELECTION: Final = "EA-EM,2C30-2C32"
#: The Patient.identifier type taken for the external id when no system or type is named.
FHIR_IDENTIFIER_TYPE: Final = "MR"
#: Per-patient condition counts kept for outcomes not yet annotated (oldest dropped beyond).
FHIR_PENDING_COUNTS: Final = 16384
#: Index rows written to the on-disk condition index per transaction.
FHIR_INDEX_BATCH: Final = 5000
#: The condition index's SQLite page cache (KiB): small, so memory stays flat for any export
#: (8 MiB made a 100,000-patient sync's peak RSS 1.2x a 10,000-patient one's; 1 MiB: 1.03x).
FHIR_INDEX_CACHE_KIB: Final = 1024
