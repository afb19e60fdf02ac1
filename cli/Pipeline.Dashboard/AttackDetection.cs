namespace Pipeline.Dashboard;

/// <summary>How many events of one attack type a stream carried and how many of them were alerted.</summary>
/// <param name="Attack">The attack type (the producers' label).</param>
/// <param name="Events">Events with that label.</param>
/// <param name="Detected">Of those, events with at least one alert.</param>
public sealed record AttackDetection(string Attack, long Events, long Detected)
{
    /// <summary>Detected / Events; NaN without events.</summary>
    public double Recall => Events == 0 ? double.NaN : (double)Detected / Events;
}
