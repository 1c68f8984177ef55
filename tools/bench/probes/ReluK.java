import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import jdk.incubator.vector.*;
import java.nio.*;
public class ReluK {
  static double bench(Runnable r, int n, int w){ for(int i=0;i<w;i++) r.run(); double[] t=new double[n]; for(int i=0;i<n;i++){long s=System.nanoTime(); r.run(); t[i]=(System.nanoTime()-s)/1e6;} java.util.Arrays.sort(t); return t[n/2]; }
  static final ByteOrder NATIVE=ByteOrder.nativeOrder();
  static void relu(ByteBuffer b, int n, VectorSpecies<Float> S){
    FloatVector zero = FloatVector.zero(S); int bound=S.loopBound(n); int step=S.length(); int i=0;
    for (; i < bound; i += step) FloatVector.fromByteBuffer(S, b, 4 * i, NATIVE).max(zero).intoByteBuffer(b, 4 * i, NATIVE);
    for (; i < n; i++) b.putFloat(4 * i, Math.max(b.getFloat(4 * i), 0f));
  }
  static void reluScalar(FloatBuffer f, int n){ for(int i=0;i<n;i++){ float v=f.get(i); if(v<0) f.put(i,0f);} }
  public static void main(String[] a) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x=m.randomNormal(new Shape(1,64,56,56)); int n=(int)x.size();
      ByteBuffer bb=x.toByteBuffer(true).order(NATIVE);
      System.out.println("512 "+bench(()->relu(bb,n,FloatVector.SPECIES_512),2000,20000));
      // only one species through relu(): a second one makes the call site polymorphic and un-intrinsified
      FloatBuffer fb=bb.asFloatBuffer();
      System.out.println("scalar fb "+bench(()->reluScalar(fb,n),2000,20000));
      float[] arr=new float[n];
      System.out.println("array 512 "+bench(()->{FloatVector z=FloatVector.zero(FloatVector.SPECIES_512); for(int i=0;i<n;i+=16) FloatVector.fromArray(FloatVector.SPECIES_512,arr,i).max(z).intoArray(arr,i);},2000,20000));
    }
  }
}
