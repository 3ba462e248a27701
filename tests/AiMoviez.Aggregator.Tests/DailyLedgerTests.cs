using AiMoviez.Aggregator.Rules;
using CsCheck;

namespace AiMoviez.Aggregator.Tests;

public sealed class DailyLedgerTests
{
    private static readonly DateOnly Today = new(2026, 12, 7);

    private static string DeviceKeyOf(byte[] digits) => "device_" + Convert.ToHexStringLower(digits);

    [Fact]
    public void Two_device_keys_are_one_voter_exactly_when_they_are_equal()
    {
        Gen.Byte.Array[16].Select(Gen.Byte.Array[16]).Sample((a, b) =>
        {
            Assert.Equal(a.SequenceEqual(b), DeviceKey.Of(DeviceKeyOf(a)) == DeviceKey.Of(DeviceKeyOf(b)));
            Assert.NotNull(DeviceKey.Of(DeviceKeyOf(a)));
        });
    }

    [Theory]
    [InlineData("user_0123456789abcdef0123456789abcdef")]
    [InlineData("device_0123456789ABCDEF0123456789abcdef")]
    [InlineData("device_0123456789abcdef0123456789abcde")]
    [InlineData("device_0123456789abcdef0123456789abcdef0")]
    [InlineData("device_0123456789abcdef0123456789abcdeg")]
    [InlineData("device_+123456789abcdef0123456789abcdef")]
    [InlineData("Device_0123456789abcdef0123456789abcdef")]
    public void A_key_not_spelled_as_a_device_key_is_kept_as_it_is(string voterKey)
    {
        Assert.Null(DeviceKey.Of(voterKey));
    }

    [Fact]
    public void Keys_that_differ_only_in_case_keep_their_own_totals()
    {
        var ledger = new DailyLedger();
        ledger.StartFresh(Today);
        const string lower = "device_0123456789abcdef0123456789abcdef";
        var upper = lower.ToUpperInvariant().Replace("DEVICE_", "device_");

        ledger.Add(lower, Today, 3);
        ledger.Add(upper, Today, 10);
        ledger.Add("user_" + lower[7..], Today, 100);

        Assert.Equal(3, ledger.Get(lower, Today));
        Assert.Equal(10, ledger.Get(upper, Today));
        Assert.Equal(100, ledger.Get("user_" + lower[7..], Today));
    }

    [Fact]
    public void Loaded_totals_add_up_with_later_changes_and_prune_forgets_earlier_days_of_every_kind_of_key()
    {
        var ledger = new DailyLedger();
        const string device = "device_00000000000000000000000000000001";
        const string user = "user_42";
        var yesterday = Today.AddDays(-1);
        ledger.StartFresh(Today.AddDays(1));
        ledger.Load(LedgerRows.Of([(device, yesterday, 5), (user, yesterday, 6), (device, Today, 7), (user, Today, 8)]));
        ledger.MarkLoaded(yesterday);
        ledger.MarkLoaded(Today);

        ledger.Add(device, Today, 2);
        ledger.Add(user, Today, -8);
        Assert.Equal((5, 6, 9, 0), (ledger.Get(device, yesterday), ledger.Get(user, yesterday), ledger.Get(device, Today), ledger.Get(user, Today)));

        ledger.Prune(Today);
        Assert.Equal((0, 0, 9), (ledger.Get(device, yesterday), ledger.Get(user, yesterday), ledger.Get(device, Today)));
        Assert.False(ledger.IsLoaded(yesterday));
    }

    [Fact]
    public void Has_seen_every_shard_only_at_the_counts_it_loaded_them_at_or_moved_them_to_by_its_own_next_commits()
    {
        var ledger = new DailyLedger();
        ledger.Saw("shard-1", 5);
        ledger.Saw("shard-2", 7);
        Assert.True(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 5, ["shard-2"] = 7 }));
        Assert.False(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 5, ["shard-2"] = 7, ["shard-3"] = 0 }));

        ledger.Follow("shard-1", 6);
        ledger.Follow("shard-1", 7);
        Assert.True(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 7, ["shard-2"] = 7 }));

        // A count that skipped one: another process (or a reset or review here) wrote in between, so the shard stays unseen.
        ledger.Follow("shard-2", 9);
        Assert.False(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 7, ["shard-2"] = 9 }));
        Assert.False(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 7, ["shard-2"] = 8 }));

        ledger.Reset(Today);
        Assert.False(ledger.HasSeen(new Dictionary<string, long> { ["shard-1"] = 7, ["shard-2"] = 7 }));
    }
}
