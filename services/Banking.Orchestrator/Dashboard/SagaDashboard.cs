namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// The saga dashboard: a static page and the JSON it reads, behind a cookie session opened with a bank token
/// (<see cref="DashboardAuthentication"/>). Actions are POSTs with an antiforgery token (<see cref="DashboardCsrf"/>);
/// the routes are in <see cref="DashboardRoutes"/>, what they read in <see cref="DashboardQueries"/>.
/// </summary>
public static class SagaDashboard
{
    public static IHostApplicationBuilder AddSagaDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<DashboardQueries>();
        builder.Services.AddSingleton<ErrorQueueMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ErrorQueueMonitor>());
        builder.Services.AddDashboardCsrf();
        builder.Services.AddDashboardSession();
        return builder;
    }
}
