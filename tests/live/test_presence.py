from cocreate.live.presence import MemoryPresence


def test_headcount_counts_people_not_tabs_and_breaks_down_by_group_and_region():
    presence = MemoryPresence()
    presence.arrive(1, 10, "3:7")
    presence.arrive(1, 10, "3:7")  # the same participant's second tab
    presence.arrive(1, 11, "4:")
    presence.arrive(2, 12, "3:7")  # another consultation
    count = presence.count(1)
    assert (count.total, count.by_group, count.by_region) == (2, {3: 1, 4: 1}, {7: 1})
    presence.leave(1, 10)
    assert presence.count(1).total == 2  # one tab is still open
    presence.leave(1, 10)
    presence.leave(1, 10)  # a stray disconnect changes nothing
    count = presence.count(1)
    assert (count.total, count.by_group, count.by_region) == (1, {4: 1}, {})
