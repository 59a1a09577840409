namespace Banking.ServiceDefaults;

public static class HealthTags
{
    /// <summary>The process is running; failing it gets the process restarted. Never depends on another server.</summary>
    public const string Live = "live";

    /// <summary>The process can do its work now; failing it takes the instance out of traffic. MassTransit tags its bus check with it too.</summary>
    public const string Ready = "ready";
}
