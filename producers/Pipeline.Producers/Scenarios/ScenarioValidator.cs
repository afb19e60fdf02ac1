using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Scenarios;

/// <summary>Checks a parsed scenario; the first problem comes back as a JSON path and a reason.</summary>
internal static class ScenarioValidator
{
    public static (string Path, string Message)? FirstError(ScenarioDefinition s)
    {
        return Check(s).FirstOrDefault() is { Path: not null } e ? e : null;
    }

    private static IEnumerable<(string Path, string Message)> Check(ScenarioDefinition s)
    {
        if (string.IsNullOrWhiteSpace(s.Name)) yield return ("$.name", "must not be empty");
        if (s.Clusters is < 1 or > 1000) yield return ("$.clusters", $"must be between 1 and 1000, was {s.Clusters}");
        if (s.Iiot is null) { yield return ("$.iiot", "must not be null"); yield break; }
        if (s.Chain is null) { yield return ("$.chain", "must not be null"); yield break; }
        if (s.Endpoints is null) { yield return ("$.endpoints", "must not be null"); yield break; }

        var iiot = s.Iiot;
        if (iiot.FactoriesPerCluster is < 1 or > 1000) yield return ("$.iiot.factoriesPerCluster", $"must be between 1 and 1000, was {iiot.FactoriesPerCluster}");
        if (iiot.StagesPerFactory is < 1 or > 100) yield return ("$.iiot.stagesPerFactory", $"must be between 1 and 100, was {iiot.StagesPerFactory}");
        if (iiot.ReadingIntervalMs is < 1 or > 3_600_000) yield return ("$.iiot.readingIntervalMs", $"must be between 1 and 3600000, was {iiot.ReadingIntervalMs}");
        if (iiot.NoiseFraction is < 0 or > 0.2 || double.IsNaN(iiot.NoiseFraction)) yield return ("$.iiot.noiseFraction", $"must be between 0 and 0.2, was {iiot.NoiseFraction}");
        foreach (var e in CheckAttacks("$.iiot.attacks", iiot.Attacks, AttackLabels.IiotAttacks))
        {
            yield return e;
        }
        if (iiot.Attacks is not null && !EpisodeScheduler.TryCreate(WaterStage.Kinds(iiot.Attacks), WaterStage.DeviceCount, out _, out var iiotError))
        {
            yield return ("$.iiot.attacks", iiotError);
        }

        var chain = s.Chain;
        if (chain.MinersPerCluster is < 1 or > 10_000) yield return ("$.chain.minersPerCluster", $"must be between 1 and 10000, was {chain.MinersPerCluster}");
        if (!(chain.BlockIntervalSeconds > 0) || chain.BlockIntervalSeconds > 86_400) yield return ("$.chain.blockIntervalSeconds", $"must be above 0 and at most 86400, was {chain.BlockIntervalSeconds}");
        if (!(chain.TransactionsPerSecond >= 0) || chain.TransactionsPerSecond > 1_000_000) yield return ("$.chain.transactionsPerSecond", $"must be between 0 and 1000000, was {chain.TransactionsPerSecond}");
        if (chain.MaxTransactionsPerBlock < 1) yield return ("$.chain.maxTransactionsPerBlock", $"must be at least 1, was {chain.MaxTransactionsPerBlock}");
        if (!(chain.BlockReward >= 0)) yield return ("$.chain.blockReward", $"must be at least 0, was {chain.BlockReward}");
        if (!(chain.Difficulty >= 1) || double.IsInfinity(chain.Difficulty)) yield return ("$.chain.difficulty", $"must be at least 1, was {chain.Difficulty}");
        foreach (var e in CheckAttacks("$.chain.attacks", chain.Attacks, AttackLabels.ChainAttacks))
        {
            yield return e;
        }
        if (chain.Attacks is not null)
        {
            if (!EpisodeScheduler.TryCreate(ChainSource.BlockKinds(chain.Attacks), 1, out _, out var blockError))
            {
                yield return ("$.chain.attacks", blockError);
            }
            if (!EpisodeScheduler.TryCreate(ChainSource.TransactionKinds(chain.Attacks), 1, out _, out var txError))
            {
                yield return ("$.chain.attacks", txError);
            }
        }

        var fleet = s.Endpoints;
        if (!(fleet.LaunchesPerMinute >= 0) || fleet.LaunchesPerMinute > 6_000_000) yield return ("$.endpoints.launchesPerMinute", $"must be between 0 and 6000000, was {fleet.LaunchesPerMinute}");
        if (fleet.AdminLaunchShare is < 0 or > 1 || double.IsNaN(fleet.AdminLaunchShare)) yield return ("$.endpoints.adminLaunchShare", $"must be between 0 and 1, was {fleet.AdminLaunchShare}");
        foreach (var e in CheckAttacks("$.endpoints.attacks", fleet.Attacks, AttackLabels.EndpointAttacks))
        {
            yield return e;
        }
        var apps = fleet.Apps ?? DefaultApps.All;
        var appNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < apps.Count; i++)
        {
            var p = $"$.endpoints.apps[{i}]";
            var app = apps[i];
            if (app is null) { yield return (p, "must not be null"); continue; }
            if (string.IsNullOrWhiteSpace(app.Name)) yield return ($"{p}.name", "must not be empty");
            else if (!appNames.Add(app.Name)) yield return ($"{p}.name", $"app '{app.Name}' is listed twice");
            if (string.IsNullOrWhiteSpace(app.Version)) yield return ($"{p}.version", "must not be empty");
            if (app.OwnerRole is not ("admin" or "user")) yield return ($"{p}.ownerRole", $"must be \"admin\" or \"user\", was \"{app.OwnerRole}\"");
            if (string.IsNullOrWhiteSpace(app.Approver)) yield return ($"{p}.approver", "must not be empty");
            if (app.Executables is < 1 or > 1000) yield return ($"{p}.executables", $"must be between 1 and 1000, was {app.Executables}");
            if (!(app.Popularity > 0)) yield return ($"{p}.popularity", $"must be above 0, was {app.Popularity}");
            if (app.Platforms is null || app.Platforms.Count == 0) { yield return ($"{p}.platforms", "must list at least one platform"); continue; }
            for (var j = 0; j < app.Platforms.Count; j++)
            {
                if (!ScenarioLoader.IsKnownPlatform(app.Platforms[j]))
                {
                    yield return ($"{p}.platforms[{j}]", $"unknown platform \"{app.Platforms[j]}\"; expected {ScenarioWorld.LinuxPlatform} or {ScenarioWorld.AndroidPlatform}");
                }
            }
        }
        if (fleet.Organisations is null) { yield return ("$.endpoints.organisations", "must not be null"); yield break; }
        var orgIds = new HashSet<string>(StringComparer.Ordinal);
        var adminTool = fleet.Attacks is not null && fleet.Attacks.TryGetValue(AttackLabels.AdminToolByUser, out var at) && at > 0;
        for (var i = 0; i < fleet.Organisations.Count; i++)
        {
            var p = $"$.endpoints.organisations[{i}]";
            var org = fleet.Organisations[i];
            if (org is null) { yield return (p, "must not be null"); continue; }
            if (string.IsNullOrWhiteSpace(org.Id)) yield return ($"{p}.id", "must not be empty");
            else if (!orgIds.Add(org.Id)) yield return ($"{p}.id", $"organisation '{org.Id}' is listed twice");
            if (org.Vehicles is < 0 or > 100_000) yield return ($"{p}.vehicles", $"must be between 0 and 100000, was {org.Vehicles}");
            if (org.SeatTablets is < 0 or > 100_000) yield return ($"{p}.seatTablets", $"must be between 0 and 100000, was {org.SeatTablets}");
            if (org.Users is < 1 or > 1_000_000) yield return ($"{p}.users", $"must be between 1 and 1000000, was {org.Users}");
            if (org.Admins is < 0 or > 100_000) yield return ($"{p}.admins", $"must be between 0 and 100000, was {org.Admins}");
            foreach (var (platform, count, field) in new[] { (ScenarioWorld.LinuxPlatform, org.Vehicles, "vehicles"), (ScenarioWorld.AndroidPlatform, org.SeatTablets, "seatTablets") })
            {
                if (count <= 0) continue;
                if (!apps.Any(a => a is not null && a.OwnerRole == "user" && a.Platforms?.Contains(platform) == true))
                {
                    yield return ($"{p}.{field}", $"no user-owned app is built for {platform}, so these endpoints could run nothing; add one to endpoints.apps");
                }
            }
        }
        if (adminTool && !apps.Any(a => a is not null && a.OwnerRole == "admin"))
        {
            yield return ("$.endpoints.attacks.admin_tool_by_user", "needs at least one admin-owned app in endpoints.apps");
        }
    }

    private const double MaxAttackShare = 0.5;

    private static IEnumerable<(string, string)> CheckAttacks(string path, Dictionary<string, double>? attacks, IReadOnlyList<string> known)
    {
        if (attacks is null)
        {
            yield return (path, "must not be null (use {} for no attacks)");
            yield break;
        }
        // Rates are fractions of one topic's messages: chain attacks split between blocks and transactions.
        foreach (var group in known == AttackLabels.ChainAttacks ? [AttackLabels.BlockAttacks, AttackLabels.TransactionAttacks] : new[] { known })
        {
            var sum = attacks.Where(a => group.Contains(a.Key) && a.Value > 0).Sum(a => a.Value);
            if (sum > MaxAttackShare)
            {
                yield return (path, $"{string.Join(" + ", group)} add up to {sum}, more than {MaxAttackShare} of the topic's messages");
            }
        }
        foreach (var (name, rate) in attacks)
        {
            if (!known.Contains(name))
            {
                yield return ($"{path}.{name}", $"unknown attack \"{name}\"; expected one of {string.Join(", ", known)}");
            }
            else if (!(rate is >= 0 and <= 0.5))
            {
                yield return ($"{path}.{name}", $"rate must be between 0 and 0.5 (a fraction of the topic's messages), was {rate}");
            }
        }
    }
}
