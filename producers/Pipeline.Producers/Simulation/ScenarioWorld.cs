using Pipeline.Producers.Catalogue;
using Pipeline.Producers.Scenarios;

namespace Pipeline.Producers.Simulation;

/// <summary>
/// The simulated world of a scenario and a seed: clusters of factories with their devices and
/// chains, and the fleet with its organisations, endpoints, people and approved applications.
/// </summary>
/// <remarks>Immutable once built. <see cref="Stream"/> starts a fresh, deterministic stream on every
/// call; an enumeration is single-threaded.</remarks>
public sealed class ScenarioWorld
{
    public const string LinuxPlatform = "linux-x64";
    public const string AndroidPlatform = "android-arm64";

    public ScenarioWorld(ScenarioDefinition scenario, long seed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        Scenario = scenario;
        Seed = seed;
        var iiot = scenario.Iiot;
        var clusters = new string[scenario.Clusters];
        var factories = new string[scenario.Clusters][];
        var devices = new List<(string, int)>[scenario.Clusters];
        for (var c = 0; c < clusters.Length; c++)
        {
            clusters[c] = $"c{c + 1:D2}";
            factories[c] = new string[iiot.FactoriesPerCluster];
            devices[c] = [];
            for (var f = 0; f < factories[c].Length; f++)
            {
                factories[c][f] = $"{clusters[c]}-f{f + 1:D2}";
                for (var s = 1; s <= iiot.StagesPerFactory; s++)
                {
                    foreach (var tag in (string[])["LIT", "FIT", "MV", "P", "PIT"])
                    {
                        devices[c].Add(($"{factories[c][f]}-{tag}{s}01", f));
                    }
                }
            }
        }
        ClusterIds = clusters;
        FactoryIds = factories;
        DeviceIds = [.. devices.Select(d => (IReadOnlyList<(string DeviceId, int Factory)>)d)];
        Sites = BuildSites(clusters, factories, DeviceIds, seed);
        Apps = BuildApps(scenario.Endpoints.Apps ?? DefaultApps.All, seed);
        Organisations = [.. scenario.Endpoints.Organisations.Select(BuildOrganisation)];
    }

    public ScenarioDefinition Scenario { get; }

    public long Seed { get; }

    /// <summary>Cluster ids: c01, c02, ...</summary>
    public IReadOnlyList<string> ClusterIds { get; }

    /// <summary>Factory ids per cluster: c01-f01, ...</summary>
    public IReadOnlyList<IReadOnlyList<string>> FactoryIds { get; }

    /// <summary>
    /// Every factory's site and its devices' positions (km): the clusters' centres lie on a ring of
    /// <see cref="RingRadiusKm"/>, each factory within <see cref="FactorySpreadKm"/> of its cluster's centre, each device
    /// within <see cref="DeviceSpreadKm"/> of its factory. Derived from the seed alone (its own random streams), so the
    /// event streams are unchanged by it.
    /// </summary>
    public IReadOnlyList<FactorySite> Sites { get; }

    /// <summary>Radius of the ring the clusters' centres lie on.</summary>
    public const double RingRadiusKm = 12;

    /// <summary>Largest distance of a factory from its cluster's centre.</summary>
    public const double FactorySpreadKm = 2.5;

    /// <summary>Largest distance of a device from its factory's site.</summary>
    public const double DeviceSpreadKm = 0.6;

    /// <summary>Device ids per cluster (c01-f01-LIT101, ...) with the index of their factory.</summary>
    internal IReadOnlyList<IReadOnlyList<(string DeviceId, int Factory)>> DeviceIds { get; }

    internal IReadOnlyList<AppBuild> Apps { get; }

    internal IReadOnlyList<FleetOrganisation> Organisations { get; }

    /// <summary>An endless stream of the chosen domains, merged in simulated-time order.</summary>
    public IEnumerable<SimulatedMessage> Stream(ProducerDomains domains)
    {
        var sources = new List<EventSource>();
        for (var c = 0; c < ClusterIds.Count; c++)
        {
            if (domains.HasFlag(ProducerDomains.Chain) && FactoryIds[c].Count > 0)
            {
                sources.Add(new ChainSource(this, c, Seed));
            }
            if (domains.HasFlag(ProducerDomains.Iiot) && FactoryIds[c].Count > 0 && Scenario.Iiot.StagesPerFactory > 0)
            {
                sources.Add(new IiotSource(this, c, Seed));
            }
        }
        if (domains.HasFlag(ProducerDomains.Endpoints) && Scenario.Endpoints.LaunchesPerMinute > 0)
        {
            foreach (var org in Organisations)
            {
                if (org.Endpoints.Length > 0)
                {
                    sources.Add(new EndpointSource(this, org, Seed));
                }
            }
        }
        return sources.Count == 0 ? [] : Merge([.. sources]);
    }

    /// <summary>The approved executables and enrolled endpoints, for the ledger to import.</summary>
    public WhitelistCatalogue BuildCatalogue()
    {
        var apps = new List<CatalogueApp>();
        foreach (var app in Apps)
        {
            foreach (var (platform, exes) in app.Executables)
            {
                foreach (var exe in exes)
                {
                    apps.Add(new CatalogueApp
                    {
                        Sha256 = exe.Sha256,
                        AppName = app.Name,
                        AppVersion = app.Version,
                        Platform = platform,
                        OwnerRole = app.OwnerRole,
                        OwnerId = app.OwnerRole,
                        Approver = app.Approver,
                        ExecutablePath = exe.Path,
                    });
                }
            }
        }
        var endpoints = Organisations
            .SelectMany(o => o.Endpoints)
            .Select(e => new CatalogueEndpoint { EndpointId = e.EndpointId, Organisation = e.Organisation, Platform = e.Platform, Kind = e.Kind })
            .ToList();
        return new WhitelistCatalogue { Scenario = Scenario.Name, Seed = Seed, Apps = apps, Endpoints = endpoints };
    }

    private static FactorySite[] BuildSites(string[] clusters, string[][] factories, IReadOnlyList<IReadOnlyList<(string DeviceId, int Factory)>> devices, long seed)
    {
        var sites = new List<FactorySite>();
        for (var c = 0; c < clusters.Length; c++)
        {
            var angle = (2 * Math.PI * c / clusters.Length) + SeededRandom.For(seed, $"site/{clusters[c]}").Uniform(-0.3, 0.3);
            var (cx, cy) = (RingRadiusKm * Math.Cos(angle), RingRadiusKm * Math.Sin(angle));
            for (var f = 0; f < factories[c].Length; f++)
            {
                var random = SeededRandom.For(seed, $"site/{factories[c][f]}");
                var (x, y) = Around(random, cx, cy, FactorySpreadKm);
                var own = new List<DeviceSite>();
                foreach (var (deviceId, _) in devices[c].Where(d => d.Factory == f))
                {
                    var (dx, dy) = Around(random, x, y, DeviceSpreadKm);
                    own.Add(new DeviceSite(deviceId, dx, dy));
                }
                sites.Add(new FactorySite(factories[c][f], clusters[c], x, y, own));
            }
        }
        return [.. sites];
    }

    // A point uniformly distributed in the disc of the given radius around (x, y), rounded to metres.
    private static (double X, double Y) Around(SeededRandom random, double x, double y, double radius)
    {
        var r = radius * Math.Sqrt(random.NextDouble());
        var a = 2 * Math.PI * random.NextDouble();
        return (Math.Round(x + (r * Math.Cos(a)), 3), Math.Round(y + (r * Math.Sin(a)), 3));
    }

    private static IEnumerable<SimulatedMessage> Merge(EventSource[] sources)
    {
        while (true)
        {
            var best = 0;
            var bestTime = sources[0].PeekTimeMs;
            for (var i = 1; i < sources.Length; i++)
            {
                var t = sources[i].PeekTimeMs;
                if (t < bestTime)
                {
                    best = i;
                    bestTime = t;
                }
            }
            yield return sources[best].Take();
        }
    }

    private static AppBuild[] BuildApps(IReadOnlyList<AppScenario> apps, long seed)
    {
        var result = new AppBuild[apps.Count];
        for (var a = 0; a < apps.Count; a++)
        {
            var app = apps[a];
            var byPlatform = new Dictionary<string, AppExecutable[]>(StringComparer.Ordinal);
            foreach (var platform in app.Platforms)
            {
                // The build's hashes follow from the seed, the app and the platform alone, so a
                // catalogue exported once matches every later stream of the same seed.
                var random = SeededRandom.For(seed, $"app/{app.Name}/{app.Version}/{platform}");
                var exes = new AppExecutable[app.Executables];
                var hash = new byte[32];
                for (var i = 0; i < exes.Length; i++)
                {
                    random.NextBytes(hash);
                    exes[i] = new AppExecutable(ExecutablePath(app.Name, platform, i), Convert.ToHexStringLower(hash));
                }
                byPlatform[platform] = exes;
            }
            result[a] = new AppBuild(app.Name, app.Version, app.OwnerRole, app.Approver, app.Popularity, byPlatform);
        }
        return result;
    }

    private static string ExecutablePath(string app, string platform, int index) => (platform, index) switch
    {
        (AndroidPlatform, 0) => $"/data/app/com.fleet.{app}/base.apk",
        (AndroidPlatform, _) => $"/data/app/com.fleet.{app}/lib/arm64/lib{app}-{index}.so",
        (_, 0) => $"/opt/{app}/bin/{app}",
        _ => $"/opt/{app}/libexec/{app}-helper-{index}",
    };

    private static FleetOrganisation BuildOrganisation(OrganisationScenario org)
    {
        var endpoints = new List<FleetEndpoint>();
        for (var i = 1; i <= org.Vehicles; i++)
        {
            endpoints.Add(new FleetEndpoint($"{org.Id}-veh-{i:D3}", org.Id, "vehicle", LinuxPlatform));
        }
        for (var i = 1; i <= org.SeatTablets; i++)
        {
            endpoints.Add(new FleetEndpoint($"{org.Id}-tab-{i:D3}", org.Id, "seat-tablet", AndroidPlatform));
        }
        var users = Enumerable.Range(1, org.Users).Select(i => $"{org.Id}-user-{i:D3}").ToArray();
        var admins = Enumerable.Range(1, org.Admins).Select(i => $"{org.Id}-admin-{i:D2}").ToArray();
        return new FleetOrganisation(org.Id, [.. endpoints], users, admins);
    }
}
