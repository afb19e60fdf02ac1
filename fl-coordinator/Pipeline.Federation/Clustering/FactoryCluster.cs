namespace Pipeline.Federation;

/// <summary>One cluster of factories: its head (the factory that trains the cluster's local model) and its members.</summary>
/// <param name="Index">1-based cluster number (clusters are numbered in the order of their smallest factory id).</param>
/// <param name="Head">The member with the smallest sum of distances to the other members.</param>
/// <param name="Factories">Member factory ids, ordinal order.</param>
/// <param name="Devices">The members' device ids, ordinal order.</param>
/// <param name="Cost">Sum of the distances from the head to the members.</param>
public sealed record FactoryCluster(int Index, string Head, IReadOnlyList<string> Factories, IReadOnlyList<string> Devices, double Cost);
