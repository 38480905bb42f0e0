"""Load drivers: the asyncio closed- and open-loop engines and the standard run's phases."""
