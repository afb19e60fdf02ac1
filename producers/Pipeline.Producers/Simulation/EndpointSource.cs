using Pipeline.Contracts;
using Pipeline.Contracts.Avro;

namespace Pipeline.Producers.Simulation;

/// <summary>
/// One organisation's fleet: application launches arrive as a Poisson process; each launch runs all
/// executables of an app allowed for the caller's role on the endpoint's platform, milliseconds
/// apart, under one launch id. Attacks run what the whitelist does not know (an unknown hash, a
/// known app's executable with another hash, one new hash hopping from endpoint to endpoint) or
/// what the caller may not run (an admin-owned tool launched by a user).
/// </summary>
internal sealed class EndpointSource : EventSource
{
    private static readonly string[] SuspiciousNames = ["update-helper", "sysmond", "svc-agent", "cache-cleaner", "netsvc", "kworkerd", "tmpinst"];

    private readonly SeededRandom _random;
    private readonly FleetOrganisation _org;
    private readonly IReadOnlyList<AppBuild> _apps;
    private readonly Dictionary<string, PlatformApps> _byPlatform = new(StringComparer.Ordinal);
    private readonly int[] _adminEligible; // endpoints whose platform has an admin-owned app
    private readonly double _meanLaunchMs;
    private readonly double _adminShare;
    private readonly EpisodeScheduler _scheduler;
    private readonly IReadOnlyList<EpisodeKind> _kinds;
    private readonly PriorityQueue<PendingExecution, (long, long)> _queue = new();
    private readonly int[] _shuffle;
    private double _nextLaunchMs;
    private long _sequence;

    public EndpointSource(ScenarioWorld world, FleetOrganisation org, long seed)
    {
        var scenario = world.Scenario.Endpoints;
        _org = org;
        _apps = world.Apps;
        _random = SeededRandom.For(seed, $"endpoints/{org.Id}");
        _meanLaunchMs = 60_000 / scenario.LaunchesPerMinute;
        _adminShare = scenario.AdminLaunchShare;
        foreach (var endpoint in org.Endpoints)
        {
            if (!_byPlatform.ContainsKey(endpoint.Platform))
            {
                _byPlatform[endpoint.Platform] = new PlatformApps(_apps, endpoint.Platform);
            }
        }
        _adminEligible = [.. Enumerable.Range(0, org.Endpoints.Length).Where(i => _byPlatform[org.Endpoints[i].Platform].Admin.Length > 0)];
        _shuffle = [.. Enumerable.Range(0, org.Endpoints.Length)];
        _kinds = Kinds(org, _byPlatform, _adminShare, scenario.Attacks, out var idle);
        _scheduler = EpisodeScheduler.Create(_kinds, idle);
        _nextLaunchMs = world.Scenario.StartTime.ToUnixTimeMilliseconds() + _random.Exponential(_meanLaunchMs);
    }

    /// <summary>Episode kinds with their expected labelled/normal executions, and the executions of a normal launch.</summary>
    internal static EpisodeKind[] Kinds(FleetOrganisation org, IReadOnlyList<AppBuild> apps, double adminShare,
        IReadOnlyDictionary<string, double> rates, out double idle)
    {
        var byPlatform = new Dictionary<string, PlatformApps>(StringComparer.Ordinal);
        foreach (var endpoint in org.Endpoints)
        {
            if (!byPlatform.ContainsKey(endpoint.Platform))
            {
                byPlatform[endpoint.Platform] = new PlatformApps(apps, endpoint.Platform);
            }
        }
        return Kinds(org, byPlatform, adminShare, rates, out idle);
    }

    private static EpisodeKind[] Kinds(FleetOrganisation org, Dictionary<string, PlatformApps> byPlatform, double adminShare,
        IReadOnlyDictionary<string, double> rates, out double idle)
    {
        double Rate(string label) => rates.TryGetValue(label, out var r) ? r : 0;
        double normal = 0, userLaunch = 0, adminTool = 0;
        var eligible = 0;
        foreach (var endpoint in org.Endpoints)
        {
            var apps = byPlatform[endpoint.Platform];
            normal += ((1 - adminShare) * apps.MeanUserSize) + (adminShare * apps.MeanAllSize);
            userLaunch += apps.MeanUserSize;
            if (apps.Admin.Length > 0)
            {
                adminTool += apps.MeanAdminSize;
                eligible++;
            }
        }
        var n = Math.Max(1, org.Endpoints.Length);
        idle = Math.Max(1, normal / n);
        var kMin = Math.Min(3, org.Endpoints.Length);
        var kMax = Math.Min(8, org.Endpoints.Length);
        return
        [
            new(AttackLabels.UnknownBinary, Rate(AttackLabels.UnknownBinary), 1, 0),
            new(AttackLabels.ModifiedBinary, Rate(AttackLabels.ModifiedBinary), 1, Math.Max(0, (userLaunch / n) - 1)),
            new(AttackLabels.AdminToolByUser, eligible > 0 ? Rate(AttackLabels.AdminToolByUser) : 0, eligible > 0 ? adminTool / eligible : 1, 0),
            new(AttackLabels.LateralMovement, Rate(AttackLabels.LateralMovement), Math.Max(1, (kMin + kMax) / 2.0), 0),
        ];
    }

    protected override void FillNextBatch()
    {
        while (_queue.Count == 0 || (_queue.TryPeek(out _, out var head) && _nextLaunchMs <= head.Item1))
        {
            Launch((long)_nextLaunchMs);
            _nextLaunchMs += _random.Exponential(_meanLaunchMs);
        }
        var next = _queue.Dequeue();
        BatchTimeMs = next.TimestampMs;
        var endpoint = _org.Endpoints[next.Endpoint];
        var execution = new EndpointExecution
        {
            EndpointId = endpoint.EndpointId,
            Organisation = _org.Id,
            UserId = next.UserId,
            UserRole = next.UserRole,
            AppName = next.AppName,
            AppVersion = next.AppVersion,
            Platform = endpoint.Platform,
            Sha256 = next.Sha256,
            LaunchId = next.LaunchId,
            ExecutablePath = next.Path,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(next.TimestampMs),
        };
        Emit(new SimulatedMessage(Topics.EndpointExecutions, endpoint.EndpointId, AvroSingleObject.Encode(execution), next.Label,
            next.TimestampMs));
    }

    private void Launch(long atMs)
    {
        var pick = _scheduler.Pick(_random);
        var label = pick < 0 ? AttackLabels.Normal : _kinds[pick].Label;
        switch (label)
        {
            case AttackLabels.UnknownBinary:
                {
                    var e = _random.NextInt(_org.Endpoints.Length);
                    var admin = _random.Chance(0.2);
                    var name = SuspiciousNames[_random.NextInt(SuspiciousNames.Length)];
                    var user = admin ? Admin() : User();
                    Enqueue(e, user, admin, name, UnknownVersion(), RandomSha(), NewLaunchId(), DropPath(e, user, name), atMs, label);
                    break;
                }
            case AttackLabels.ModifiedBinary:
                {
                    // A known application, same name, version and path, one executable with another hash.
                    var e = _random.NextInt(_org.Endpoints.Length);
                    var apps = _byPlatform[_org.Endpoints[e].Platform];
                    var app = _apps[apps.PickUser(_random)];
                    var exes = app.Executables[_org.Endpoints[e].Platform];
                    var tampered = _random.NextInt(exes.Length);
                    var user = User();
                    var launchId = NewLaunchId();
                    var t = atMs;
                    for (var i = 0; i < exes.Length; i++)
                    {
                        var modified = i == tampered;
                        Enqueue(e, user, false, app.Name, app.Version, modified ? RandomSha() : exes[i].Sha256, launchId, exes[i].Path, t,
                            modified ? label : AttackLabels.Normal);
                        t += _random.NextInt(1, 13);
                    }
                    break;
                }
            case AttackLabels.AdminToolByUser:
                {
                    var e = _adminEligible[_random.NextInt(_adminEligible.Length)];
                    var apps = _byPlatform[_org.Endpoints[e].Platform];
                    RunApp(e, User(), false, _apps[apps.PickAdmin(_random)], atMs, label);
                    break;
                }
            case AttackLabels.LateralMovement:
                {
                    // One unknown binary hopping across the organisation's endpoints, tens of seconds apart.
                    var kMin = Math.Min(3, _org.Endpoints.Length);
                    var kMax = Math.Min(8, _org.Endpoints.Length);
                    var hops = _random.NextInt(kMin, kMax + 1);
                    var name = SuspiciousNames[_random.NextInt(SuspiciousNames.Length)];
                    var sha = RandomSha();
                    var version = UnknownVersion();
                    double t = atMs;
                    for (var i = 0; i < hops; i++)
                    {
                        var j = i + _random.NextInt(_shuffle.Length - i);
                        (_shuffle[i], _shuffle[j]) = (_shuffle[j], _shuffle[i]);
                        var e = _shuffle[i];
                        var admin = _random.Chance(0.3); // stolen admin credentials are part of the spread
                        Enqueue(e, admin ? Admin() : User(), admin, name, version, sha, NewLaunchId(), $"/tmp/.{name}", (long)t, label);
                        t += _random.Exponential(20_000);
                    }
                    break;
                }
            default:
                {
                    var e = _random.NextInt(_org.Endpoints.Length);
                    var apps = _byPlatform[_org.Endpoints[e].Platform];
                    var admin = _org.Admins.Length > 0 && _random.Chance(_adminShare);
                    var app = _apps[admin ? apps.PickAny(_random) : apps.PickUser(_random)];
                    RunApp(e, admin ? Admin() : User(), admin, app, atMs, label);
                    break;
                }
        }
    }

    private void RunApp(int endpoint, string user, bool admin, AppBuild app, long atMs, string label)
    {
        var exes = app.Executables[_org.Endpoints[endpoint].Platform];
        var launchId = NewLaunchId();
        var t = atMs;
        for (var i = 0; i < exes.Length; i++)
        {
            Enqueue(endpoint, user, admin, app.Name, app.Version, exes[i].Sha256, launchId, exes[i].Path, t, label);
            t += _random.NextInt(1, 13);
        }
    }

    private void Enqueue(int endpoint, string user, bool admin, string app, string version, string sha, string launchId, string path,
        long atMs, string label) =>
        _queue.Enqueue(new PendingExecution(endpoint, user, admin ? "admin" : "user", app, version, sha, launchId, path, atMs, label),
            (atMs, _sequence++));

    private string User() => _org.Users[_random.NextInt(_org.Users.Length)];

    private string Admin() => _org.Admins.Length > 0 ? _org.Admins[_random.NextInt(_org.Admins.Length)] : User();

    private string UnknownVersion() => $"0.{_random.NextInt(1, 9)}.{_random.NextInt(0, 30)}";

    private string DropPath(int endpoint, string user, string name) =>
        _org.Endpoints[endpoint].Platform == ScenarioWorld.AndroidPlatform
            ? $"/sdcard/Download/{name}"
            : _random.Chance(0.5) ? $"/tmp/.{name}" : $"/home/{user}/Downloads/{name}";

    private string RandomSha()
    {
        Span<byte> bytes = stackalloc byte[32];
        _random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private string NewLaunchId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes).ToString("D");
    }

    private readonly record struct PendingExecution(int Endpoint, string UserId, string UserRole, string AppName, string AppVersion,
        string Sha256, string LaunchId, string Path, long TimestampMs, string Label);

    /// <summary>The apps a platform offers, by owner role, with popularity-weighted pickers.</summary>
    private sealed class PlatformApps
    {
        public PlatformApps(IReadOnlyList<AppBuild> apps, string platform)
        {
            var user = new List<int>();
            var admin = new List<int>();
            for (var i = 0; i < apps.Count; i++)
            {
                if (apps[i].Executables.ContainsKey(platform))
                {
                    (apps[i].OwnerRole == "admin" ? admin : user).Add(i);
                }
            }
            User = [.. user];
            Admin = [.. admin];
            All = [.. user, .. admin];
            _userWeights = Cumulative(apps, User);
            _adminWeights = Cumulative(apps, Admin);
            _allWeights = Cumulative(apps, All);
            MeanUserSize = MeanSize(apps, platform, User);
            MeanAdminSize = MeanSize(apps, platform, Admin);
            MeanAllSize = MeanSize(apps, platform, All);
        }

        private readonly double[] _userWeights;
        private readonly double[] _adminWeights;
        private readonly double[] _allWeights;

        public int[] User { get; }
        public int[] Admin { get; }
        public int[] All { get; }
        public double MeanUserSize { get; }
        public double MeanAdminSize { get; }
        public double MeanAllSize { get; }

        public int PickUser(SeededRandom random) => Pick(random, User, _userWeights);
        public int PickAdmin(SeededRandom random) => Pick(random, Admin, _adminWeights);
        public int PickAny(SeededRandom random) => Pick(random, All, _allWeights);

        private static int Pick(SeededRandom random, int[] indices, double[] cumulative)
        {
            var u = random.NextDouble() * cumulative[^1];
            for (var i = 0; i < cumulative.Length; i++)
            {
                if (u < cumulative[i])
                {
                    return indices[i];
                }
            }
            return indices[^1];
        }

        private static double[] Cumulative(IReadOnlyList<AppBuild> apps, int[] indices)
        {
            var result = new double[indices.Length];
            var sum = 0.0;
            for (var i = 0; i < indices.Length; i++)
            {
                sum += apps[indices[i]].Popularity;
                result[i] = sum;
            }
            return result;
        }

        private static double MeanSize(IReadOnlyList<AppBuild> apps, string platform, int[] indices)
        {
            double weighted = 0, total = 0;
            foreach (var i in indices)
            {
                weighted += apps[i].Popularity * apps[i].Executables[platform].Length;
                total += apps[i].Popularity;
            }
            return total > 0 ? weighted / total : 0;
        }
    }
}
