"""The database schema as an ordered list of migrations, applied by ``PRAGMA user_version``.

Each entry moves the schema from version ``i`` to ``i + 1``; entries are never edited once
released, only appended. Instants are UTC epoch seconds (REAL) so they compare as numbers.
"""

from __future__ import annotations

APPLICATION_ID = 0x41444153  # "ADAS": marks the file as ours, so a foreign database is refused

MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        provider TEXT NOT NULL,
        status TEXT NOT NULL,
        origin TEXT NOT NULL,
        prompt TEXT NOT NULL,
        intent_id TEXT UNIQUE,
        intent_at REAL,
        dispatch_attempts INTEGER NOT NULL DEFAULT 0,
        remote_id TEXT,
        created_at REAL NOT NULL,
        dispatched_at REAL,
        finished_at REAL,
        updated_at REAL NOT NULL,
        next_poll_at REAL,
        poll_count INTEGER NOT NULL DEFAULT 0,
        poll_interval REAL,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        error TEXT,
        usage TEXT,
        output TEXT,
        transcript TEXT,
        cursor TEXT,
        remote_status TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_active ON jobs(status, next_poll_at)
        WHERE status NOT IN ('completed', 'failed', 'cancelled');
    CREATE INDEX jobs_seq ON jobs(seq);
    CREATE INDEX jobs_created ON jobs(created_at);

    CREATE TABLE lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        owner TEXT,
        pid INTEGER,
        host TEXT,
        epoch INTEGER NOT NULL DEFAULT 0,
        acquired_at REAL,
        renewed_at REAL,
        expires_at REAL,
        released INTEGER NOT NULL DEFAULT 1
    );
    INSERT INTO lease (id, epoch) VALUES (1, 0);

    CREATE TABLE commands (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        args TEXT NOT NULL,
        created_at REAL NOT NULL,
        done_at REAL,
        result TEXT
    );
    CREATE INDEX commands_pending ON commands(id) WHERE done_at IS NULL;

    CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        paused INTEGER NOT NULL DEFAULT 0,
        enabled_since REAL,
        last_fire_for REAL,
        last_fired_at REAL,
        last_job_id INTEGER,
        missed_count INTEGER NOT NULL DEFAULT 0,
        last_missed_for REAL
    );

    CREATE TABLE fires (
        id INTEGER PRIMARY KEY,
        schedule TEXT NOT NULL,
        scheduled_for REAL NOT NULL,
        outcome TEXT NOT NULL,
        job_id INTEGER REFERENCES jobs(id),
        recorded_at REAL NOT NULL,
        UNIQUE (schedule, scheduled_for)
    );
    """,
    """
    ALTER TABLE schedules ADD COLUMN config_enabled INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE jobs ADD COLUMN context TEXT;

    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        sink TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        created_at REAL NOT NULL,
        delivered_at REAL,
        seq INTEGER NOT NULL DEFAULT 0,
        UNIQUE (job_id, sink)
    );
    CREATE INDEX deliveries_pending ON deliveries(next_attempt_at) WHERE status = 'pending';
    """,
    # 3: a stable id of this database (task claims and idempotency keys carry it), and an
    # index to find the job a task source created for a task by its origin.
    """
    CREATE TABLE instance (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        instance_id TEXT NOT NULL
    );
    INSERT INTO instance (id, instance_id) VALUES (1, lower(hex(randomblob(6))));
    CREATE INDEX jobs_origin ON jobs(origin);
    """,
    # 4: the commands table of migration 1 was never used: a follower's actions are durable
    # rows of their own (a queued job, a cancel flag, a schedule flag) plus a doorbell ring.
    """
    DROP INDEX IF EXISTS commands_pending;
    DROP TABLE IF EXISTS commands;
    """,
]
