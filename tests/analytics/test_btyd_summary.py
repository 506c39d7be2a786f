"""Transactions to (x, t_x, T, mean spend), on a hand-made list."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.btyd import summarise_transactions

# customer 0: Mon 1 Jan and Wed 3 Jan 2024 (one week, 10 + 5), Mon 15 Jan (20), Tue 30 Jan
#             (30), and Tue 20 Feb, after the calibration end (ignored)
# customer 1: Sun 7 Jan only
# customer 2: Sun 14 Jan (12) and Mon 15 Jan (18): the next day, but the next week
CUSTOMER = np.array([0, 2, 0, 1, 0, 0, 2, 0])
DATE = np.array(
    [
        "2024-01-01",
        "2024-01-14",
        "2024-01-03",
        "2024-01-07",
        "2024-01-15",
        "2024-01-30",
        "2024-01-15",
        "2024-02-20",
    ],
    dtype="datetime64[D]",
)
AMOUNT = np.array([10.0, 12.0, 5.0, 8.0, 20.0, 30.0, 18.0, 99.0])
END = np.datetime64("2024-02-04")  # a Sunday


def test_weekly_summary_by_hand():
    summary = summarise_transactions(CUSTOMER, DATE, AMOUNT, calibration_end=END, unit="weeks")
    # weeks start on Monday: 1 Jan is week 0, 15 Jan week 2, 30 Jan week 4, 4 Feb week 4
    assert summary.customers.tolist() == [0, 1, 2]
    assert summary.x.tolist() == [2, 0, 1]
    assert summary.t_x.tolist() == [4, 0, 1]
    assert summary.T.tolist() == [4, 4, 3]
    assert summary.mean_spend.tolist() == [25.0, 0.0, 18.0]


def test_daily_summary_by_hand():
    summary = summarise_transactions(CUSTOMER, DATE, AMOUNT, calibration_end=END, unit="days")
    assert summary.x.tolist() == [3, 0, 1]
    assert summary.t_x.tolist() == [29, 0, 1]
    assert summary.T.tolist() == [34, 28, 21]
    assert summary.mean_spend == pytest.approx([55 / 3, 0.0, 18.0])


def test_days_since_an_epoch_work_like_dates():
    days = DATE.astype(np.int64).astype(float) + 0.25  # a quarter past midnight
    end = float(END.astype(np.int64)) + 0.99
    by_number = summarise_transactions(CUSTOMER, days, AMOUNT, calibration_end=end, unit="weeks")
    assert by_number.x.tolist() == [2, 0, 1]
    assert by_number.T.tolist() == [4, 4, 3]


def test_mismatched_arrays_are_refused():
    with pytest.raises(ValueError, match="same length"):
        summarise_transactions([0, 1], DATE[:1], [1.0, 2.0], calibration_end=END)
