"""The HTTP API on a PostgreSQL store: every test of ``test_api.py`` again, its service
opened on a throwaway PostgreSQL database (``CLEARANCE_DATABASE_URL``), with a connection
per request thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.screen import Service
from tests.api.conftest import build_home
from tests.api.test_api import (
    test_body_over_the_limit_is_413,
    test_changes_rejects_reversed_dates_and_unknown_sources,
    test_entity_has_listings_history_and_provenance,
    test_entity_timeline_shows_a_change_between_two_sdn_snapshots,
    test_errors_are_json_with_a_stable_code_and_request_id,
    test_health_and_readiness,
    test_lists_with_effects_and_as_of,
    test_match_by_isin_alone_and_by_alias_with_listing_effect,
    test_match_dataset_selects_lists,
    test_match_takes_name_parts,
    test_match_threshold_decides_the_match_flag,
    test_read_endpoints_can_require_a_key,
    test_reconcile_batched_queries_form_and_get,
    test_reconcile_manifest_has_the_w3c_required_fields,
    test_reconcile_suggest_and_preview,
    test_screen_is_the_check_command_over_http,
    test_search_with_filters,
    test_slow_requests_time_out_with_504,
    test_too_many_queries_is_422,
    test_unexpected_errors_hide_the_traceback,
    test_updates_need_an_admin_key,
    test_yente_docs_example_finds_rotenberg_and_nothing_for_made_up_names,
)
from tests.pg_cluster import Cluster

pytestmark = [pytest.mark.realdata, pytest.mark.postgres]

__all__ = [
    "test_body_over_the_limit_is_413",
    "test_changes_rejects_reversed_dates_and_unknown_sources",
    "test_entity_has_listings_history_and_provenance",
    "test_entity_timeline_shows_a_change_between_two_sdn_snapshots",
    "test_errors_are_json_with_a_stable_code_and_request_id",
    "test_health_and_readiness",
    "test_lists_with_effects_and_as_of",
    "test_match_by_isin_alone_and_by_alias_with_listing_effect",
    "test_match_dataset_selects_lists",
    "test_match_takes_name_parts",
    "test_match_threshold_decides_the_match_flag",
    "test_read_endpoints_can_require_a_key",
    "test_reconcile_batched_queries_form_and_get",
    "test_reconcile_manifest_has_the_w3c_required_fields",
    "test_reconcile_suggest_and_preview",
    "test_screen_is_the_check_command_over_http",
    "test_search_with_filters",
    "test_slow_requests_time_out_with_504",
    "test_too_many_queries_is_422",
    "test_unexpected_errors_hide_the_traceback",
    "test_updates_need_an_admin_key",
    "test_yente_docs_example_finds_rotenberg_and_nothing_for_made_up_names",
]


@pytest.fixture(scope="module")
def service(
    shared_data: Path,
    postgres_cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    """Overrides the SQLite service of conftest.py for the tests imported above."""
    url = postgres_cluster.create_database()
    home = build_home(shared_data, tmp_path_factory.mktemp("api-pg"), url)
    with Service.open(home, database_url=url) as opened:
        assert opened.store.where.startswith("postgresql://")
        yield opened
