namespace Pipeline.Processing.Whitelist;

/// <summary>One executed hash and the application name the endpoint reported for it.</summary>
/// <param name="Sha256">64 lower-case hex digits.</param>
/// <param name="AppName">Reported application name (used to tell a modified known app from an unknown one).</param>
public readonly record struct WhitelistQuery(string Sha256, string AppName);
