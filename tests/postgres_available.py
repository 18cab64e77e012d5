"""Exit 0 if the PostgreSQL server of the given database URL answers, else say why, exit 1.

Used by ``make test`` to decide whether to run the suite a second time on PostgreSQL.
"""

import sys

import dj_database_url
import psycopg2


def main(url: str) -> int:
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        print(f"{url!r} is not a PostgreSQL URL.")
        return 1
    try:
        # The server's maintenance database: the test run creates its own database.
        connection = psycopg2.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        )
    except psycopg2.OperationalError as error:
        host = f"{config.get('HOST') or 'local socket'}:{config.get('PORT') or 5432}"
        print(f"PostgreSQL at {host} is not reachable: {str(error).strip()}")
        return 1
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
