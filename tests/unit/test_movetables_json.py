from pocflow.vitess.movetables import parse_status, parse_vdiff

STATUS_COPYING = {
    "table_copy_state": {
        "customers": {
            "rows_copied": "2787",
            "rows_total": "3045",
            "rows_percentage": 91.5,
            "bytes_copied": "475136",
            "bytes_total": "475136",
            "bytes_percentage": 100,
            "phase": "COMPLETE",
        },
        "products": {"rows_copied": "0", "rows_total": "300", "rows_percentage": 0, "phase": "NOT_STARTED"},
    },
    "shard_streams": {
        "shop/0": {
            "streams": [
                {
                    "id": 1,
                    "tablet": {"cell": "zone1", "uid": 100},
                    "source_shard": "shop_source/0",
                    "position": "0-1001-71",
                    "status": "Copying",
                    "info": "VStream Lag: 0s",
                }
            ]
        }
    },
    "traffic_state": "Reads Not Switched. Writes Not Switched",
}


def test_status_json_becomes_typed_tables_and_streams():
    s = parse_status("wf", "shop", STATUS_COPYING)
    assert [t.table for t in s.tables] == ["customers", "products"]
    assert s.tables[0].rows_copied == 2787 and s.tables[1].phase == "NOT_STARTED"
    assert s.streams[0].tablet == "zone1-0000000100" and s.streams[0].shard == "shop/0"
    assert not s.copy_complete and s.errors == [] and s.max_lag_seconds == 0.0


def test_copy_is_complete_when_no_table_is_left_and_streams_run():
    data = {
        "table_copy_state": {},
        "shard_streams": {
            "shop/0": {
                "streams": [
                    {
                        "id": 1,
                        "tablet": {"cell": "zone1", "uid": 100},
                        "status": "Running",
                        "info": "VStream Lag: 2s; Tx time: x",
                        "position": "0-1001-25828",
                    }
                ]
            }
        },
    }
    s = parse_status("wf", "shop", data)
    assert s.copy_complete and s.max_lag_seconds == 2.0


def test_a_stream_that_has_not_started_is_not_a_finished_copy():
    # what Vitess shows for a moment right after MoveTables create: no copy state yet, "Running"
    data = {
        "table_copy_state": {},
        "shard_streams": {
            "shop/0": {
                "streams": [
                    {
                        "id": 25,
                        "tablet": {"cell": "zone1", "uid": 100},
                        "status": "Running",
                        "info": "VStream has not started",
                        "position": "",
                    }
                ]
            }
        },
    }
    assert not parse_status("wf", "shop", data).copy_complete


def test_no_streams_is_not_complete():
    assert not parse_status("wf", "shop", {"table_copy_state": {}}).copy_complete


def test_streams_in_error_are_reported_with_vitess_text():
    data = {
        "shard_streams": {
            "shop/-80": {
                "streams": [
                    {
                        "id": 3,
                        "tablet": {"cell": "zone1", "uid": 300},
                        "status": "Error: Duplicate entry '1' for key 'PRIMARY'",
                        "info": "",
                    }
                ]
            }
        }
    }
    s = parse_status("wf", "shop", data)
    assert s.errors == ["shop/-80 stream 3: Error: Duplicate entry '1' for key 'PRIMARY'"]


def test_vdiff_tables_are_summed_over_shards():
    data = {
        "UUID": "u",
        "State": "completed",
        "RowsCompared": 30,
        "HasMismatch": True,
        "ShardSummaries": {
            "-80": {"TableStates": {"t": {"RowsCompared": 10, "MatchingRows": 9, "MismatchedRows": 1}}},
            "80-": {"TableStates": {"t": {"RowsCompared": 20, "MatchingRows": 20, "ExtraRowsTarget": 2}}},
        },
    }
    report = parse_vdiff(data)
    assert report.has_mismatch and report.rows_compared == 30
    (t,) = report.tables
    assert (t.rows_compared, t.matching_rows, t.mismatched_rows, t.extra_rows_target) == (30, 29, 1, 2)


def test_vdiff_without_shard_summaries_reads_table_summary():
    data = {"UUID": "u", "State": "completed", "TableSummary": {"a": {"RowsCompared": 5, "MatchingRows": 5}}}
    assert parse_vdiff(data).tables[0].matching_rows == 5


def test_table_lists_are_passed_as_one_csv_record():
    from pocflow.vitess.movetables import csv_list

    assert csv_list(["orders", "order lines"]) == "orders,order lines"
    assert csv_list(['it\'s "quoted"', "a,b", "naïve café 表"]) == '"it\'s ""quoted""","a,b",naïve café 表'


def test_an_unknown_lag_is_not_a_lag_of_minus_one_second():
    # what Vitess shows for a frozen or just-restarted stream
    data = {
        "table_copy_state": {},
        "shard_streams": {
            "shop/0": {
                "streams": [
                    {
                        "id": 3,
                        "tablet": {"cell": "zone1", "uid": 100},
                        "status": "Running",
                        "info": "VStream Lag: -1s",
                        "position": "0-1001-9",
                    }
                ]
            }
        },
    }
    assert parse_status("wf", "shop", data).max_lag_seconds is None
