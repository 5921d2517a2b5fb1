export function NotFound() {
  return (
    <section aria-labelledby="not-found">
      <h1 id="not-found">No such page</h1>
      <p>
        This address is not a page of the console. <a href="/console/">Go to the overview</a>.
      </p>
    </section>
  );
}
