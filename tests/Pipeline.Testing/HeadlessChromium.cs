using Xunit;

namespace Pipeline.Testing;

/// <summary>Debian's chromium in headless mode: a page's DOM after its scripts ran, or a screenshot.</summary>
public static class HeadlessChromium
{
    private const string Install = "apt-get update && apt-get install -y chromium chromium-driver";

    /// <summary>The chromium binary, or a failed test naming the apt command that installs it.</summary>
    public static string Require() => Tools.Require("chromium", Install);

    /// <summary>The page's DOM after up to 8 s of (virtual) script time: fetches and timers have run.</summary>
    public static string DumpDom(Uri url) => Run(["--dump-dom"], url);

    /// <summary>Saves a screenshot of the page at 1400×1000.</summary>
    public static void Screenshot(Uri url, string file) => Run(["--screenshot=" + file, "--window-size=1400,1000"], url);

    private static string Run(IEnumerable<string> mode, Uri url)
    {
        var chromium = Require();
        var profile = Directory.CreateTempSubdirectory("chromium-profile-");
        try
        {
            var args = new List<string>
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.FullName, "--virtual-time-budget=8000",
            };
            args.AddRange(mode);
            args.Add(url.ToString());
            var result = Tools.Run(chromium, args, timeout: TimeSpan.FromSeconds(90));
            Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.Stderr}");
            return result.Stdout;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
