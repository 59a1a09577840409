using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Sagas;

public static class SagaRepositoryRegistrationExtensions
{
    /// <summary>Stores <typeparamref name="TSaga"/> in MySQL through the scoped <typeparamref name="TDbContext"/>, locking each instance per event.</summary>
    public static ISagaRegistrationConfigurator<TSaga> MySqlRepository<TSaga, TDbContext>(this ISagaRegistrationConfigurator<TSaga> saga)
        where TSaga : class, ISaga
        where TDbContext : DbContext =>
        saga.Repository(repository => repository.RegisterSagaRepository<TSaga, DbContext,
            SagaConsumeContextFactory<DbContext, TSaga>, MySqlSagaRepositoryContextFactory<TDbContext, TSaga>>());
}
