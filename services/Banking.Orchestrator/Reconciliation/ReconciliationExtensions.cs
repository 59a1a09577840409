namespace Banking.Orchestrator.Reconciliation;

public static class ReconciliationExtensions
{
    /// <summary>
    /// Reconciliation over the ledgers' read-only logins: the continuous check (a hosted service and its gauges) and
    /// the end-of-day report behind the <c>reconcile</c> command and the operator API.
    /// </summary>
    public static IHostApplicationBuilder AddReconciliation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconciliationOptions>()
            .BindConfiguration(ReconciliationOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.Db1 = configuration.GetConnectionString(ReconciliationOptions.Db1ConnectionStringName);
                options.Db2 = configuration.GetConnectionString(ReconciliationOptions.Db2ConnectionStringName);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ContinuousReconciliation>();
        builder.Services.AddSingleton<ReconciliationMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ReconciliationMonitor>());
        builder.Services.AddScoped<EndOfDayReconciliation>();
        return builder;
    }
}
